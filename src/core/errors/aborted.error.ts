import { EarshotError } from './earshot-error.js';

/** Work stopped because its AbortSignal fired (cancel, shutdown, lost lease). */
export class AbortedError extends EarshotError {
  constructor(reason = 'aborted') {
    super('aborted', reason, { status: 409, retryable: true });
  }
}
