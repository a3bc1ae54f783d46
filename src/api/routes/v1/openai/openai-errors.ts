import { ConflictError, InvalidParamError, TaskFailedError } from '../../../../core/errors/index.js';
import type { ErrorRenderer } from '../../../plugins/error-handler.js';

/** OpenAI's error object: `{error: {message, type, param, code}}`. */
export interface OpenAiError {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** Earshot codes whose OpenAI counterpart names the parameter at fault. */
const PARAM_OF_CODE: Record<string, string> = {
  bad_audio: 'file',
  payload_too_large: 'file',
  unsupported_language: 'language',
  model_not_found: 'model',
};

/** The task a request was waiting for was cancelled through the task API. */
export const taskCancelled = () => new ConflictError('the task was cancelled before it finished', 'task_cancelled');
/** The task a request was waiting for was deleted through the task API. */
export const taskDeleted = () => new ConflictError('the task was deleted before it finished', 'task_deleted');

/** Codes that end the task a request was waiting for: repeating the request would only redo the work. */
const FINAL_CODES: ReadonlySet<string> = new Set([taskCancelled().code, taskDeleted().code]);

/**
 * OpenAI's status for an Earshot status: OpenAI answers every invalid input (not audio, a language
 * the model cannot do, a body that is not multipart) with 400.
 */
function openAiStatus(status: number): number {
  return status === 415 || status === 422 ? 400 : status;
}

/** OpenAI's `type`: `invalid_request_error` for the client's mistakes, `requests` for rate limits, `server_error` otherwise. */
function openAiType(status: number): string {
  if (status === 429) return 'requests';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The error object for an already described error (also sent as an SSE `error` event). */
export function openAiError(status: number, code: string, message: string, err: Error): OpenAiError {
  const param = err instanceof InvalidParamError ? err.param : (PARAM_OF_CODE[code] ?? null);
  return {
    message,
    type: openAiType(status),
    param,
    // OpenAI's code for a missing or wrong key; the SDKs map 401 to AuthenticationError either way.
    code: status === 401 ? 'invalid_api_key' : code,
  };
}

/**
 * Renders errors on the OpenAI-compatible routes as OpenAI does, so its SDKs raise their typed
 * errors (BadRequestError, AuthenticationError, NotFoundError, RateLimitError...). A failed task
 * already had its retries: `x-should-retry: false` keeps the SDKs from uploading it again.
 */
export const openAiErrorBody: ErrorRenderer = ({ status, code, message, err }) => {
  const answered = openAiStatus(status);
  const final = err instanceof TaskFailedError || FINAL_CODES.has(code);
  return {
    status: answered,
    body: { error: openAiError(answered, code, message, err) },
    ...(final ? { headers: { 'x-should-retry': 'false' } } : {}),
  };
};
