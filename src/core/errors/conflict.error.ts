import { EarshotError } from './earshot-error.js';

/** The request is valid but the task is not in a state that allows it (e.g. transcript before done). */
export class ConflictError extends EarshotError {
  constructor(message: string, code = 'conflict') {
    super(code, message, { status: 409 });
  }
}
