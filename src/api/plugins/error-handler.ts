import type { FastifyError, FastifyInstance } from 'fastify';
import { EarshotError, QueueFullError, RangeNotSatisfiableError } from '../../core/errors/index.js';

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

/**
 * The one place errors become responses: `{error: {code, message}}` with the error's status.
 * EarshotErrors carry both; schema validation failures are 400 invalid_request; Fastify's own 4xx
 * keep their status; anything else is a 500 whose details are logged, never sent.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | Error, request, reply) => {
    let status = 500;
    let code = 'internal_error';
    let message = 'internal server error';
    if (err instanceof EarshotError) {
      status = err.status;
      code = err.code;
      message = err.message;
      if (err instanceof QueueFullError) void reply.header('retry-after', String(err.retryAfterSeconds));
      if (err instanceof RangeNotSatisfiableError) void reply.header('content-range', `bytes */${err.size}`);
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
    if (status >= 500) {
      // Deliberate 502/503s explain themselves; a 500 is a bug or an outage whose details stay in the log.
      if (status === 500 || !(err instanceof EarshotError)) {
        status = 500;
        code = 'internal_error';
        message = 'internal server error';
      }
      request.log.error({ err }, 'request failed');
    } else {
      request.log.info({ code, status, reason: message }, 'request rejected');
    }
    // The request body may still be arriving (an oversized upload): close the connection rather
    // than reading the rest of it just to keep the socket alive.
    if (status === 413 || (request.isMultipart() && !request.raw.complete)) void reply.header('connection', 'close');
    return reply.status(status).send({ error: { code, message } });
  });

  app.setNotFoundHandler((request, reply) => {
    return reply
      .status(404)
      .send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
}
