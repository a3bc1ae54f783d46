import { AbortedError } from './aborted.error.js';

/**
 * The worker no longer holds the task's lease (cancelled, deleted or reclaimed by the sweep). Its
 * run stops without recording a failure: the task's row already belongs to someone else.
 */
export class LeaseLostError extends AbortedError {
  constructor() {
    super('lease lost (task cancelled, deleted or reclaimed)');
  }
}
