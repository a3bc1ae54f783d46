import { EarshotError } from './earshot-error.js';

/** An If-Match that no longer holds: someone changed the resource since the caller read it. */
export class PreconditionFailedError extends EarshotError {
  constructor(message: string) {
    super('precondition_failed', message, { status: 412 });
  }
}
