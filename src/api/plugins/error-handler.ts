import type { FastifyError, FastifyInstance } from 'fastify';
import { EarshotError, QueueFullError, RangeNotSatisfiableError } from '../../core/errors/index.js';
import { isStoreUnavailable } from '../../store/store-unavailable.js';

/** Codes for errors Fastify and its plugins raise themselves (4xx only; their messages are safe to show). */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_REQ_FILE_TOO_LARGE: 'payload_too_large',
  FST_PARTS_LIMIT: 'payload_too_large',
  FST_FILES_LIMIT: 'invalid_request',
  FST_FIELDS_LIMIT: 'invalid_request',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'unsupported_media_type',
};

const BY_STATUS: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  416: 'range_not_satisfiable',
  429: 'too_many_requests',
  503: 'unavailable',
};

/** An error as the API answers it: status, stable code and a message safe to show. */
export interface DescribedError {
  status: number;
  code: string;
  message: string;
  /** The error itself, for renderers that add detail (OpenAI's `param`). */
  err: Error;
}

/** Turns a described error into the response body (and, where a dialect needs it, another status). */
export type ErrorRenderer = (e: DescribedError) => { status: number; body: unknown; headers?: Record<string, string> };

/** Earshot's own shape: `{error: {code, message}}`. */
export const earshotErrorBody: ErrorRenderer = ({ status, code, message }) => ({
  status,
  body: { error: { code, message } },
});

/**
 * Status, code and message for any error: EarshotErrors carry all three; schema validation failures
 * are 400 invalid_request; Fastify's own 4xx keep their status; a store that cannot be reached is 503
 * `unavailable` (clients retry); anything else is a 500 whose details
 * are never sent (deliberate 502/503s explain themselves).
 */
export function describeError(err: FastifyError | Error): DescribedError {
  let status = 500;
  let code = 'internal_error';
  let message = 'internal server error';
  if (err instanceof EarshotError) {
    status = err.status;
    code = err.code;
    message = err.message;
  } else if (isStoreUnavailable(err)) {
    return { status: 503, code: 'unavailable', message: 'the database is unreachable; try again shortly', err };
  } else if ('validation' in err && err.validation) {
    status = 400;
    code = 'invalid_request';
    message = err.message;
  } else {
    const fst = err as FastifyError;
    const s = typeof fst.statusCode === 'number' ? fst.statusCode : 500;
    if (s >= 400 && s < 500) {
      status = s;
      code = (fst.code && FASTIFY_CODES[fst.code]) ?? BY_STATUS[s] ?? 'invalid_request';
      message = err.message;
    }
  }
  if (status >= 500 && (status === 500 || !(err instanceof EarshotError))) {
    status = 500;
    code = 'internal_error';
    message = 'internal server error';
  }
  return { status, code, message, err };
}

/**
 * The one place errors become responses in a scope (the whole app, or an encapsulated plugin that
 * speaks another dialect, such as the OpenAI-compatible routes): the error is described once
 * (describeError), logged, and rendered by `render` (default `{error: {code, message}}`).
 */
export function installErrorHandler(scope: FastifyInstance, render: ErrorRenderer = earshotErrorBody): void {
  scope.setErrorHandler((err: FastifyError | Error, request, reply) => {
    const described = describeError(err);
    if (described.status >= 500) request.log.error({ err }, 'request failed');
    else
      request.log.info(
        { code: described.code, status: described.status, reason: described.message },
        'request rejected',
      );
    if (err instanceof QueueFullError) void reply.header('retry-after', String(err.retryAfterSeconds));
    if (described.code === 'unavailable' && !(err instanceof EarshotError)) void reply.header('retry-after', '5');
    if (err instanceof RangeNotSatisfiableError) void reply.header('content-range', `bytes */${err.size}`);
    // The request body may still be arriving (an oversized upload): close the connection rather
    // than reading the rest of it just to keep the socket alive.
    if (described.status === 413 || (request.isMultipart() && !request.raw.complete)) {
      void reply.header('connection', 'close');
    }
    const { status, body, headers } = render(described);
    if (headers) void reply.headers(headers);
    return reply.status(status).send(body);
  });
}

/** Unknown routes: 404 in Earshot's shape. */
export function installNotFoundHandler(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    return reply
      .status(404)
      .send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
}
