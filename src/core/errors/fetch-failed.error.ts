import { EarshotError } from './earshot-error.js';

/** The task `url` could not be fetched (upstream error status, connection failure, timeout). */
export class FetchFailedError extends EarshotError {
  constructor(message: string, cause?: unknown) {
    super('fetch_failed', message, { status: 502, cause });
  }
}
