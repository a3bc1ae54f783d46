import type { Word } from '../core/transcript.js';
import type { LiveErrorCode } from './live-errors.js';
import type { LiveSettings } from './live-settings.js';

/**
 * What the API process tells the worker process that runs a live session (over the supervisor's
 * IPC channel, `serialization: 'advanced'`, so PCM travels as bytes, not JSON).
 */
export type LiveCommand =
  | { type: 'live.open'; sessionId: string; settings: LiveSettings }
  | { type: 'live.update'; sessionId: string; settings: LiveSettings }
  /** PCM16 little-endian mono at the session's `inputRate`; an even number of bytes. */
  | { type: 'live.audio'; sessionId: string; pcm: Uint8Array }
  | { type: 'live.commit'; sessionId: string }
  | { type: 'live.clear'; sessionId: string }
  /** In order after everything sent before it: commit what is left (nothing left is no error), then close. */
  | { type: 'live.finish'; sessionId: string }
  | { type: 'live.close'; sessionId: string };

/**
 * What a worker's live session reports, in order. Turns are numbered from 1 within the session;
 * times are in session time (audio received since the session opened, at the input rate).
 */
export type LiveOutput =
  /** Audio of `live.audio` messages fully processed (the API's backlog bound counts these). */
  | { kind: 'consumed'; bytes: number }
  | { kind: 'speech_started'; turn: number; audioStartMs: number }
  | { kind: 'speech_stopped'; turn: number; audioEndMs: number }
  /** The turn's audio is complete (commit, end of speech, or MAX_TURN_SECONDS); its result follows. */
  | { kind: 'committed'; turn: number }
  | { kind: 'cleared' }
  /** The whole hypothesis of the turn so far (may revise earlier words). */
  | { kind: 'partial'; turn: number; text: string }
  /** Final text of a turn; `start`/`end` and word times in seconds of session time. */
  | { kind: 'completed'; turn: number; text: string; start: number; end: number; words: Word[] }
  /** Refused command (`fatal: false`, the session goes on) or a session that had to end (`fatal: true`). */
  | { kind: 'error'; code: LiveErrorCode; message: string; fatal: boolean }
  /** After `live.close` (or a fatal error): every resource of the session is released. */
  | { kind: 'closed' };

export type LiveReport = { type: 'live.output'; sessionId: string; output: LiveOutput };
