import { EarshotError } from './earshot-error.js';

/** A well-formed request for something no configured engine can do (translating speech, say). */
export class UnsupportedOperationError extends EarshotError {
  constructor(message: string) {
    super('unsupported_operation', message, { status: 400 });
  }
}
