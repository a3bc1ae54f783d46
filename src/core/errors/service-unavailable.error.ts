import { EarshotError } from './earshot-error.js';

/** A dependency is missing or the server is at a bound (SSE clients, shutting down). */
export class ServiceUnavailableError extends EarshotError {
  constructor(message: string) {
    super('unavailable', message, { status: 503 });
  }
}
