import { EarshotError } from './earshot-error.js';

/**
 * A task's stored input is gone (removed by hand, a node's disk lost, a store switched without
 * moving the media). Never retried: no later attempt can bring it back.
 */
export class MediaMissingError extends EarshotError {
  constructor(key: string) {
    super('media_missing', `the task's input is no longer in the media store (${key})`, {
      status: 500,
      retryable: false,
    });
  }
}
