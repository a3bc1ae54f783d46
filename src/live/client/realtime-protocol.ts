/**
 * The client's view of `GET /v1/realtime` (the transcription subset of the OpenAI Realtime API plus
 * Earshot's `earshot.session.*` events): the events a client sends and the server events a client
 * reads. Browser-safe (no Node imports): the CLI's RealtimeClient and the web UI's Live page both use it.
 */
import { LIVE_ERRORS } from '../live-errors.js';
import type { LiveInputRate } from '../live-settings.js';
import { DEFAULT_TURN_DETECTION } from '../live-settings.js';

export const REALTIME_PATH = '/v1/realtime';

/** Earshot's extension: commit what is pending, send the remaining results, then close with 1000. */
export const FINISH_EVENT = 'earshot.session.finish';
/** The server's answer to FINISH_EVENT; `task_id` is set when the session was opened with ?save=true. */
export const FINISHED_EVENT = 'earshot.session.finished';

/** Audio per append message: 100 ms keeps latency low without one message per audio frame. */
export const APPEND_MS = 100;

/** Browsers cannot set headers on a WebSocket; OpenAI's subprotocol carries the token instead. */
export function realtimeProtocols(token: string | null | undefined): string[] {
  return token ? ['realtime', `openai-insecure-api-key.${token}`] : ['realtime'];
}

/** `http(s)://host[/prefix]` (or ws(s)://) → `ws(s)://host[/prefix]/v1/realtime[?save=true]`. */
export function realtimeUrl(server: string, opts: { save?: boolean } = {}): string {
  const url = new URL(server);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new Error(`the server URL must start with http://, https://, ws:// or wss:// (got ${server})`);
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${REALTIME_PATH}`;
  url.search = opts.save ? '?save=true' : '';
  url.hash = '';
  return url.toString();
}

/** The GA `session.update` for a transcription session with server VAD at the protocol's defaults. */
export function sessionUpdate(opts: { rate: LiveInputRate; language: string }): object {
  return {
    type: 'session.update',
    session: {
      type: 'transcription',
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: opts.rate },
          transcription: { language: opts.language },
          turn_detection: {
            type: 'server_vad',
            threshold: DEFAULT_TURN_DETECTION.threshold,
            prefix_padding_ms: DEFAULT_TURN_DETECTION.prefixPaddingMs,
            silence_duration_ms: DEFAULT_TURN_DETECTION.silenceDurationMs,
          },
        },
      },
    },
  };
}

/** `input_audio_buffer.append` carrying PCM16 LE mono bytes, base64 as the protocol wants. */
export function appendEvent(base64Audio: string): string {
  return JSON.stringify({ type: 'input_audio_buffer.append', audio: base64Audio });
}

export interface RealtimeWord {
  word: string;
  start: number;
  end: number;
  confidence: number;
}

export interface RealtimeErrorBody {
  type: string;
  code: string | null;
  message: string;
}

/** The server events the clients act on; anything else parses to `null` and is ignored. */
export type RealtimeServerEvent =
  | { type: 'session.created' | 'session.updated' | 'transcription_session.updated' }
  | { type: 'input_audio_buffer.speech_started'; item_id: string; audio_start_ms: number }
  | { type: 'input_audio_buffer.speech_stopped'; item_id: string; audio_end_ms: number }
  | { type: 'input_audio_buffer.committed'; item_id: string }
  | {
      type: 'conversation.item.input_audio_transcription.delta';
      item_id: string;
      delta: string;
      /** Earshot's extension: the whole current hypothesis of the item. */
      partial?: string;
    }
  | {
      type: 'conversation.item.input_audio_transcription.completed';
      item_id: string;
      transcript: string;
      /** Session time, seconds (Earshot's extension, as are `end` and `words`). */
      start?: number;
      end?: number;
      words?: RealtimeWord[];
    }
  | { type: 'error'; error: RealtimeErrorBody }
  | { type: typeof FINISHED_EVENT; task_id: string | null };

const KNOWN = new Set<string>([
  'session.created',
  'session.updated',
  'transcription_session.updated',
  'input_audio_buffer.speech_started',
  'input_audio_buffer.speech_stopped',
  'input_audio_buffer.committed',
  'conversation.item.input_audio_transcription.delta',
  'conversation.item.input_audio_transcription.completed',
  'error',
  FINISHED_EVENT,
]);

/** One server message → a known event, or null (not JSON, no type, or a type clients need not read). */
export function parseServerEvent(data: string): RealtimeServerEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !KNOWN.has(type)) return null;
  if (type === 'error') {
    const e = (value as { error?: Partial<RealtimeErrorBody> }).error ?? {};
    return {
      type: 'error',
      error: { type: String(e.type ?? 'error'), code: e.code ?? null, message: String(e.message ?? 'unknown error') },
    };
  }
  return value as RealtimeServerEvent;
}

/** Whether an `error` event ends the session (a code this client does not know is taken to). */
export function isFatalError(error: RealtimeErrorBody): boolean {
  const known = error.code !== null && Object.hasOwn(LIVE_ERRORS, error.code);
  return known ? LIVE_ERRORS[error.code as keyof typeof LIVE_ERRORS].fatal : true;
}
