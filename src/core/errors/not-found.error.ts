import { EarshotError } from './earshot-error.js';

/** A missing resource, and equally a resource the caller may not see (so the two cannot be told apart). */
export class NotFoundError extends EarshotError {
  constructor(what = 'task') {
    super('not_found', `${what} not found`, { status: 404 });
  }
}
