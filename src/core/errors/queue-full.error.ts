import { EarshotError } from './earshot-error.js';

/** The queue holds its configured maximum of waiting tasks. Clients should retry after `retryAfterSeconds`. */
export class QueueFullError extends EarshotError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds = 30) {
    super('queue_full', 'the queue is full; try again later', { status: 429 });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
