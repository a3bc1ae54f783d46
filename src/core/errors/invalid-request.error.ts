import { EarshotError } from './earshot-error.js';

/** The request is malformed or names something it may not (bad options, a refused `url`). */
export class InvalidRequestError extends EarshotError {
  constructor(message: string) {
    super('invalid_request', message, { status: 400 });
  }
}
