import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI, { APIConnectionTimeoutError, APIError } from 'openai';
import type { Config } from '../config/config.js';
import { LlmError } from '../core/errors/index.js';
import type { Logger } from '../core/logger.js';

/** One chat request: a system prompt, one user message and a cap on the answer. */
export interface ChatRequest {
  system: string;
  user: string;
  maxTokens: number;
}

export interface ChatAnswer {
  text: string;
  /** The model that answered, as the server names it. */
  model: string;
  /** `length` when the answer hit `maxTokens` (callers validate what they got). */
  finishReason: string;
}

export type LlmSettings = Pick<
  Config,
  'llmBaseUrl' | 'llmApiKey' | 'llmModel' | 'llmTimeoutMs' | 'llmRetries' | 'llmRetryBaseMs' | 'llmStream'
>;

/** Longest wait a server's `Retry-After` may impose on one retry. */
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Calls an OpenAI-compatible chat-completions server through the official `openai` SDK, with its
 * own retry loop (the SDK's is off) so that one policy covers what the SDK cannot see: a stream cut
 * off before its end and a stream that stalls.
 *
 * The timeout is an idle timeout: it fires when no response, or no streamed chunk, arrived for
 * `llmTimeoutMs`. A slow model that keeps streaming is never cut, and a hung one is. Without
 * streaming (EARSHOT_LLM_STREAM=false) it covers the whole answer. 429, 408, 5xx, timeouts,
 * dropped connections and cut-off streams are retried `llmRetries` times with exponential backoff
 * (a `Retry-After` header wins, up to a minute); other 4xx fail at once.
 */
export class LlmClient {
  private readonly client: OpenAI;

  constructor(
    private readonly settings: LlmSettings,
    private readonly log?: Logger,
  ) {
    this.client = new OpenAI({
      baseURL: settings.llmBaseUrl,
      // The SDK refuses an empty key; local servers ignore the header.
      apiKey: settings.llmApiKey === '' ? 'none' : settings.llmApiKey,
      timeout: settings.llmTimeoutMs,
      maxRetries: 0,
    });
  }

  /** The answer, after retries; rejects with LlmError, or with `signal`'s reason once it fires. */
  async chat(request: ChatRequest, signal: AbortSignal): Promise<ChatAnswer> {
    for (let retry = 0; ; retry++) {
      try {
        return await this.once(request, signal);
      } catch (err) {
        signal.throwIfAborted();
        const failure = err instanceof LlmError ? err : classify(err);
        if (!failure.retryable || retry >= this.settings.llmRetries) throw failure;
        const delayMs = Math.min(
          failure.retryAfterMs ?? this.settings.llmRetryBaseMs * 2 ** retry,
          Math.max(MAX_RETRY_AFTER_MS, this.settings.llmRetryBaseMs),
        );
        this.log?.warn(
          { code: failure.code, retry: retry + 1, delayMs },
          `LLM call failed, retrying: ${failure.message}`,
        );
        await sleep(delayMs, undefined, { signal });
      }
    }
  }

  private async once(request: ChatRequest, signal: AbortSignal): Promise<ChatAnswer> {
    const call = new AbortController();
    const stop = (): void => call.abort(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    let idle = false;
    let timer: NodeJS.Timeout | undefined;
    const touch = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        idle = true;
        call.abort();
      }, this.settings.llmTimeoutMs);
    };
    touch();
    const body = {
      model: this.settings.llmModel,
      messages: [
        { role: 'system' as const, content: request.system },
        { role: 'user' as const, content: request.user },
      ],
      max_tokens: request.maxTokens,
      temperature: 0.2,
    };
    try {
      if (!this.settings.llmStream) {
        const res = await this.client.chat.completions.create({ ...body, stream: false }, { signal: call.signal });
        const choice = res.choices[0];
        if (choice === undefined) throw new LlmError('llm_unavailable', 'the LLM server answered without a choice');
        return { text: choice.message.content ?? '', model: res.model, finishReason: choice.finish_reason };
      }
      const stream = await this.client.chat.completions.create({ ...body, stream: true }, { signal: call.signal });
      let text = '';
      let model = this.settings.llmModel;
      let finishReason: string | null = null;
      try {
        for await (const chunk of stream) {
          touch();
          model = chunk.model || model;
          const choice = chunk.choices[0];
          text += choice?.delta?.content ?? '';
          finishReason = choice?.finish_reason ?? finishReason;
        }
      } catch (err) {
        if (signal.aborted || idle || err instanceof APIError) throw err;
        // The connection dropped after the answer began.
        throw new LlmError('llm_stream_cut', `the LLM answer stream broke off: ${(err as Error).message}`, {
          cause: err,
        });
      }
      // A stream that ends without a finish reason was cut off (a proxy or the server dropped it).
      if (finishReason === null) {
        throw new LlmError('llm_stream_cut', `the LLM answer stream ended early (after ${text.length} characters)`);
      }
      return { text, model, finishReason };
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (idle) {
        throw new LlmError('llm_timeout', `the LLM server sent nothing for ${this.settings.llmTimeoutMs} ms`, {
          cause: err,
        });
      }
      throw err;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
    }
  }
}

/** What an error from the SDK or the connection means for retrying. */
function classify(err: unknown): LlmError {
  if (err instanceof APIConnectionTimeoutError) {
    return new LlmError('llm_timeout', 'the LLM server did not answer in time', { cause: err });
  }
  if (err instanceof APIError && err.status !== undefined) {
    const status = err.status;
    const detail = `the LLM server answered HTTP ${status}: ${err.message}`;
    if (status === 408 || status === 429 || status >= 500) {
      return new LlmError('llm_unavailable', detail, { retryAfterMs: retryAfterMs(err.headers), cause: err });
    }
    return new LlmError('llm_rejected', detail, { cause: err });
  }
  // No status: the connection failed or dropped (mid-stream included).
  const message = err instanceof Error ? err.message : String(err);
  return new LlmError('llm_unavailable', `the LLM server could not be reached or dropped the answer: ${message}`, {
    cause: err,
  });
}

function retryAfterMs(headers: Headers | undefined): number | null {
  const value = headers?.get('retry-after');
  if (value === null || value === undefined) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}
