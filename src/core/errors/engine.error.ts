import { EarshotError } from './earshot-error.js';

/** The speech engine crashed, timed out or answered nonsense. Retried: the next attempt may succeed. */
export class EngineError extends EarshotError {
  constructor(message: string, cause?: unknown) {
    super('engine_failed', message, { status: 500, retryable: true, cause });
  }
}
