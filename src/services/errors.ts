import { EarshotError } from '../core/errors/index.js';

/**
 * Errors of the request layer. Like the core errors they carry a stable `code` and the HTTP status
 * the API answers with, so services can raise them without knowing about Fastify.
 */
export class InvalidRequestError extends EarshotError {
  constructor(message: string) {
    super('invalid_request', message, { status: 400 });
  }
}

export class UnauthorizedError extends EarshotError {
  constructor(message = 'a valid API token is required') {
    super('unauthorized', message, { status: 401 });
  }
}

export class ForbiddenError extends EarshotError {
  constructor(message = 'admin role required') {
    super('forbidden', message, { status: 403 });
  }
}

export class PayloadTooLargeError extends EarshotError {
  constructor(limitBytes: number) {
    super('payload_too_large', `the input is larger than the limit of ${limitBytes} bytes`, { status: 413 });
  }
}

export class UnsupportedMediaTypeError extends EarshotError {
  constructor(message = 'send multipart/form-data with a file part, or JSON with a url') {
    super('unsupported_media_type', message, { status: 415 });
  }
}

/** The task `url` could not be fetched (upstream error status, connection failure, timeout). */
export class FetchFailedError extends EarshotError {
  constructor(message: string, cause?: unknown) {
    super('fetch_failed', message, { status: 502, cause });
  }
}

/** A dependency is missing or the server is at a bound (SSE clients, shutting down). */
export class ServiceUnavailableError extends EarshotError {
  constructor(message: string) {
    super('unavailable', message, { status: 503 });
  }
}

export class RangeNotSatisfiableError extends EarshotError {
  readonly size: number;
  constructor(size: number) {
    super('range_not_satisfiable', 'the requested range is outside the file', { status: 416 });
    this.size = size;
  }
}
