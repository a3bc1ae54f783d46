import { EarshotError } from './earshot-error.js';

/** An upload or fetched `url` body over EARSHOT_MAX_UPLOAD_BYTES. */
export class PayloadTooLargeError extends EarshotError {
  constructor(limitBytes: number) {
    super('payload_too_large', `the input is larger than the limit of ${limitBytes} bytes`, { status: 413 });
  }
}
