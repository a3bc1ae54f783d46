import { EarshotError } from './earshot-error.js';

/**
 * Why an LLM call failed. The first three may pass (a busy or restarting server, a dropped
 * connection) and are retried with backoff; `llm_rejected` (a 4xx such as a wrong key or an unknown
 * model) would fail the same way again.
 */
export const LLM_FAILURES = {
  llm_timeout: true,
  llm_unavailable: true,
  llm_stream_cut: true,
  llm_rejected: false,
} as const satisfies Record<string, boolean>;
export type LlmFailure = keyof typeof LLM_FAILURES;

/** The LLM server (summary, polish) failed; 502 because it is an upstream's failure, never the client's. */
export class LlmError extends EarshotError {
  /** A `Retry-After` the server sent, in ms. */
  readonly retryAfterMs: number | null;

  constructor(code: LlmFailure, message: string, opts: { retryAfterMs?: number | null; cause?: unknown } = {}) {
    super(code, message, { status: 502, retryable: LLM_FAILURES[code], cause: opts.cause });
    this.retryAfterMs = opts.retryAfterMs ?? null;
  }
}
