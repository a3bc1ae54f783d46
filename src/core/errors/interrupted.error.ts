import { EarshotError } from './earshot-error.js';

/** The CLI was interrupted (SIGINT/SIGTERM) before it finished; `earshot` exits 130. */
export class InterruptedError extends EarshotError {
  constructor() {
    super('interrupted', 'interrupted', { status: 503, retryable: true });
  }
}
