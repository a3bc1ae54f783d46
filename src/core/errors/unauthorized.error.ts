import { EarshotError } from './earshot-error.js';

/** No API token, or one that is not valid. */
export class UnauthorizedError extends EarshotError {
  constructor(message = 'a valid API token is required') {
    super('unauthorized', message, { status: 401 });
  }
}
