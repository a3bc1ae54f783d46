/**
 * One error type for every failed API call (fetch and XHR alike), carrying the API's stable `code`,
 * the HTTP status and, for 429, the server's Retry-After hint. `describeError` turns it into a sentence
 * a person can act on; raw codes are never the whole message.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Builds an ApiError from a response's status, body text and Retry-After header. */
export function apiErrorFrom(status: number, body: string, retryAfter: string | null): ApiError {
  let code = status === 0 ? 'network_error' : `http_${status}`;
  let message = '';
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    if (typeof parsed.error?.code === 'string') code = parsed.error.code;
    if (typeof parsed.error?.message === 'string') message = parsed.error.message;
  } catch {
    // Not JSON (a proxy's HTML error page, say): the status alone has to speak.
  }
  return new ApiError(status, code, message, parseRetryAfter(retryAfter));
}

/** Retry-After is either delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** What a 412 on a transcript edit means, in the words the page shows. */
export const CONFLICT_MESSAGE =
  'This transcript was changed in another tab or by someone else. Reload to see the latest version.';

/** A sentence for people, naming the file when there is one. */
export function describeError(err: unknown, fileName?: string): string {
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message : String(err);
  const subject = fileName ? `"${fileName}"` : 'The request';
  const detail = err.message ? ` (${err.message})` : '';
  switch (err.code) {
    case 'payload_too_large':
      return `${subject} is too large for this server${detail}.`;
    case 'bad_audio':
      return `${subject} is not audio or video the server can read${detail}.`;
    case 'unsupported_media_type':
      return `${subject} has a type the server does not accept${detail}.`;
    case 'unsupported_language':
      return `${subject} was not accepted: ${err.message || 'this server cannot transcribe that language'}.`;
    case 'queue_full':
      return err.retryAfterSeconds !== null
        ? `The queue is full. Try again in ${formatWait(err.retryAfterSeconds)}.`
        : 'The queue is full. Try again in a little while.';
    case 'unauthorized':
      return 'Your token was not accepted. Sign in again.';
    case 'not_found':
      return 'That task does not exist (or is not yours).';
    case 'not_ready':
      return 'The transcript is not ready yet.';
    case 'upload_interrupted':
      return `The upload of ${subject} was interrupted: the connection dropped, or the server refused a file this large.`;
    case 'precondition_failed':
      return CONFLICT_MESSAGE;
    case 'invalid_edit':
      return `That change was not accepted${detail}.`;
    case 'network_error':
      return 'Could not reach the server. Check your connection and try again.';
    default:
      if (err.status === 413) return `${subject} is too large for this server.`;
      if (err.status === 429) return 'Too many requests. Try again in a little while.';
      return err.message || `The server answered ${err.status}.`;
  }
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  return `${Math.round(seconds / 60)} minutes`;
}

/** Codes of answers that another try of the same request cannot change. */
const FINAL_CODES = new Set([
  'bad_audio',
  'unsupported_language',
  'unsupported_media_type',
  'payload_too_large',
  'invalid_request',
  'unauthorized',
  'forbidden',
  'not_found',
]);

/** Whether trying the same request again could succeed (a network drop, a full queue, a 5xx). */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof ApiError)) return true;
  if (FINAL_CODES.has(err.code)) return false;
  return err.status === 0 || err.status === 429 || err.status >= 500;
}
