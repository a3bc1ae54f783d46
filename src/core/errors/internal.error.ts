import { EarshotError } from './earshot-error.js';

/**
 * Anything Earshot did not raise on purpose (a bug, an unexpected I/O error). Retried: such
 * failures are as likely to be passing as permanent, and attempts are bounded anyway.
 */
export class InternalError extends EarshotError {
  constructor(message: string, cause?: unknown) {
    super('internal_error', message, { status: 500, retryable: true, cause });
  }

  /** `err` itself when Earshot raised it on purpose, otherwise an InternalError wrapping it. */
  static from(err: unknown): EarshotError {
    if (err instanceof EarshotError) return err;
    return new InternalError(err instanceof Error ? err.message : String(err), err);
  }
}
