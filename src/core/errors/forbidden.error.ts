import { EarshotError } from './earshot-error.js';

/** A valid token whose user lacks the role the request needs. */
export class ForbiddenError extends EarshotError {
  constructor(message = 'admin role required') {
    super('forbidden', message, { status: 403 });
  }
}
