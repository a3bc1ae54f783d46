import { EarshotError } from './earshot-error.js';

/**
 * Every engine instance is busy and the pool's wait queue holds its maximum. Retryable: the caller
 * submitted more chunks than it should keep in flight, and a later attempt finds room.
 */
export class EnginePoolFullError extends EarshotError {
  constructor(maxQueue: number) {
    super('engine_pool_full', `all engine instances are busy and ${maxQueue} jobs are already waiting`, {
      status: 503,
      retryable: true,
    });
  }
}
