import { EarshotError } from './earshot-error.js';

/** A bad command line found after parsing (an unknown format); `earshot` exits 2. */
export class UsageError extends EarshotError {
  constructor(message: string) {
    super('invalid_usage', message, { status: 400 });
  }
}
