import { describe, expect, it } from 'vitest';
import * as errors from '../../src/core/errors/index.js';
import { EarshotError, failureOf } from '../../src/core/errors/index.js';
import { WORKER_LOST } from '../../src/store/task.transitions.js';

/**
 * Each error's code and HTTP status are part of the API (docs/api.md) and its retry decision is the
 * queue's only source for one, so all three are pinned here, for every class the module exports.
 */
const EXPECTED: Record<string, { make: () => EarshotError; code: string; status: number; retryable: boolean }> = {
  AbortedError: { make: () => new errors.AbortedError(), code: 'aborted', status: 409, retryable: true },
  BadAudioError: { make: () => new errors.BadAudioError('x'), code: 'bad_audio', status: 422, retryable: false },
  ConfigError: { make: () => new errors.ConfigError('x'), code: 'invalid_config', status: 500, retryable: false },
  ConflictError: { make: () => new errors.ConflictError('x'), code: 'conflict', status: 409, retryable: false },
  EngineError: { make: () => new errors.EngineError('x'), code: 'engine_failed', status: 500, retryable: true },
  EngineConfigError: {
    make: () => new errors.EngineConfigError('x'),
    code: 'engine_misconfigured',
    status: 500,
    retryable: false,
  },
  EnginePoolFullError: {
    make: () => new errors.EnginePoolFullError(1),
    code: 'engine_pool_full',
    status: 503,
    retryable: true,
  },
  FetchFailedError: {
    make: () => new errors.FetchFailedError('x'),
    code: 'fetch_failed',
    status: 502,
    retryable: false,
  },
  ForbiddenError: { make: () => new errors.ForbiddenError(), code: 'forbidden', status: 403, retryable: false },
  InternalError: { make: () => new errors.InternalError('x'), code: 'internal_error', status: 500, retryable: true },
  InterruptedError: { make: () => new errors.InterruptedError(), code: 'interrupted', status: 503, retryable: true },
  InvalidEditError: {
    make: () => new errors.InvalidEditError(2, 'x'),
    code: 'invalid_edit',
    status: 400,
    retryable: false,
  },
  InvalidRequestError: {
    make: () => new errors.InvalidRequestError('x'),
    code: 'invalid_request',
    status: 400,
    retryable: false,
  },
  InvalidParamError: {
    make: () => new errors.InvalidParamError('file', 'x'),
    code: 'invalid_request',
    status: 400,
    retryable: false,
  },
  MediaMissingError: {
    make: () => new errors.MediaMissingError('db:t/input.wav'),
    code: 'media_missing',
    status: 500,
    retryable: false,
  },
  ModelNotFoundError: {
    make: () => new errors.ModelNotFoundError('m'),
    code: 'model_not_found',
    status: 404,
    retryable: false,
  },
  TaskFailedError: {
    make: () => new errors.TaskFailedError('t', 'engine_failed', 'x'),
    code: 'engine_failed',
    status: 502,
    retryable: false,
  },
  UnsupportedOperationError: {
    make: () => new errors.UnsupportedOperationError('x'),
    code: 'unsupported_operation',
    status: 400,
    retryable: false,
  },
  LeaseLostError: { make: () => new errors.LeaseLostError(), code: 'aborted', status: 409, retryable: true },
  LlmError: {
    make: () => new errors.LlmError('llm_unavailable', 'x'),
    code: 'llm_unavailable',
    status: 502,
    retryable: true,
  },
  LlmNotConfiguredError: {
    make: () => new errors.LlmNotConfiguredError('summary'),
    code: 'llm_not_configured',
    status: 422,
    retryable: false,
  },
  NotFoundError: { make: () => new errors.NotFoundError(), code: 'not_found', status: 404, retryable: false },
  PayloadTooLargeError: {
    make: () => new errors.PayloadTooLargeError(1),
    code: 'payload_too_large',
    status: 413,
    retryable: false,
  },
  PreconditionFailedError: {
    make: () => new errors.PreconditionFailedError('x'),
    code: 'precondition_failed',
    status: 412,
    retryable: false,
  },
  PrivateTargetError: {
    make: () => new errors.PrivateTargetError('h'),
    code: 'invalid_request',
    status: 400,
    retryable: false,
  },
  QueueFullError: { make: () => new errors.QueueFullError(), code: 'queue_full', status: 429, retryable: false },
  RangeNotSatisfiableError: {
    make: () => new errors.RangeNotSatisfiableError(1),
    code: 'range_not_satisfiable',
    status: 416,
    retryable: false,
  },
  ServiceUnavailableError: {
    make: () => new errors.ServiceUnavailableError('x'),
    code: 'unavailable',
    status: 503,
    retryable: false,
  },
  TimeBudgetError: {
    make: () => new errors.TimeBudgetError(1),
    code: 'time_budget_exceeded',
    status: 500,
    retryable: true,
  },
  UnauthorizedError: {
    make: () => new errors.UnauthorizedError(),
    code: 'unauthorized',
    status: 401,
    retryable: false,
  },
  UnsupportedLanguageError: {
    make: () => new errors.UnsupportedLanguageError('e', 'xx', ['en']),
    code: 'unsupported_language',
    status: 422,
    retryable: false,
  },
  UnsupportedMediaTypeError: {
    make: () => new errors.UnsupportedMediaTypeError(),
    code: 'unsupported_media_type',
    status: 415,
    retryable: false,
  },
  UsageError: { make: () => new errors.UsageError('x'), code: 'invalid_usage', status: 400, retryable: false },
  LiveSessionError: {
    make: () => new errors.LiveSessionError('connection_closed', 'x'),
    code: 'connection_closed',
    status: 502,
    retryable: true,
  },
  WorkerCrashedError: {
    make: () => new errors.WorkerCrashedError('x'),
    code: 'worker_crashed',
    status: 500,
    retryable: true,
  },
  WorkerLostError: { make: () => new errors.WorkerLostError(), code: 'worker_lost', status: 500, retryable: true },
};

describe('core errors', () => {
  it('pins code, status and retry decision of every exported error class', () => {
    const exported = Object.entries(errors)
      .filter(([name, v]) => typeof v === 'function' && v.prototype instanceof EarshotError && name !== 'EarshotError')
      .map(([name]) => name)
      .sort();
    expect(exported).toEqual(Object.keys(EXPECTED).sort());
    for (const [name, { make, code, status, retryable }] of Object.entries(EXPECTED)) {
      const err = make();
      expect(err.name, name).toBe(name);
      expect({ code: err.code, status: err.status, retryable: err.retryable }, name).toEqual({
        code,
        status,
        retryable,
      });
    }
  });
});

describe('failureOf', () => {
  it("records an Earshot error's own code, message and retry decision", () => {
    expect(failureOf(new errors.BadAudioError('not audio'))).toEqual({
      code: 'bad_audio',
      message: 'not audio',
      retryable: false,
    });
    expect(failureOf(new errors.EngineError('crashed')).retryable).toBe(true);
  });

  it('records anything unplanned as a retryable internal_error', () => {
    expect(failureOf(new TypeError('boom'))).toEqual({ code: 'internal_error', message: 'boom', retryable: true });
    expect(failureOf('plain string')).toEqual({ code: 'internal_error', message: 'plain string', retryable: true });
  });

  it("is where the store's lease-expiry failure comes from", () => {
    expect(WORKER_LOST).toEqual(failureOf(new errors.WorkerLostError()));
    expect(WORKER_LOST.retryable).toBe(true);
  });
});
