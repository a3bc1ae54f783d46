/**
 * Base of every error Earshot raises on purpose. `code` is stable (clients and tests match on it),
 * `status` is the HTTP status the API answers with, `retryable` tells the queue whether another
 * attempt could succeed (an engine crash might; a file that is not audio never will).
 */
export class EarshotError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;

  constructor(code: string, message: string, opts: { status?: number; retryable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = opts.status ?? 500;
    this.retryable = opts.retryable ?? false;
  }
}
