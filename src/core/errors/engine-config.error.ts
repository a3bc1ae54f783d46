import { EarshotError } from './earshot-error.js';

/**
 * The engine cannot run as configured: a missing binary, model file or package, or a server that
 * rejects our credentials. Never retried: only an operator can fix it, and the message says how.
 */
export class EngineConfigError extends EarshotError {
  constructor(message: string, cause?: unknown) {
    super('engine_misconfigured', message, { status: 500, retryable: false, cause });
  }
}
