import type { StreamingRecognizerFactory } from '../../engines/streaming.js';
import { LIVE_ERRORS, type LiveErrorCode } from '../live-errors.js';
import type { LiveCommand, LiveReport } from '../live-messages.js';
import { LiveSession } from './live-session.js';
import type { LiveVadLoader } from './live-vad.js';

export interface LiveHostOptions {
  /** Each session gets its own recognizer from here (its own decoder process). */
  recognizers: StreamingRecognizerFactory;
  /** Each session in server-VAD mode gets its own VAD from here. */
  loadVad: LiveVadLoader;
  /** Sends a report to the API process (the IPC channel in a worker). */
  send: (report: LiveReport) => void;
  /** Per-session command queue cap (default LIVE_QUEUE_HARD_CAP). */
  maxQueued?: number;
  /** Told why a session failed, for the worker's log. */
  onFailure?: (err: unknown, sessionId: string) => void;
}

/**
 * The live sessions of one worker process. A session is in the map from `live.open` until it
 * emits `closed` (after `live.close`, a fatal error, or `closeAll`), so the map never outlives the
 * sessions it holds. Commands for ids it does not hold are dropped: they race with a close.
 */
export class LiveHost {
  private readonly sessions = new Map<string, LiveSession>();
  /** Set by closeAll: the process is stopping, so opens are refused rather than left to leak. */
  private shutdown: LiveErrorCode | null = null;

  constructor(private readonly opts: LiveHostOptions) {}

  /** Sessions open now. */
  get size(): number {
    return this.sessions.size;
  }

  handle(cmd: LiveCommand): void {
    const { sessionId } = cmd;
    if (cmd.type === 'live.open') {
      // A repeated open is a protocol bug upstream; the session already running keeps its state.
      if (this.sessions.has(sessionId)) return;
      if (this.shutdown) {
        const code = this.shutdown;
        this.opts.send({
          type: 'live.output',
          sessionId,
          output: { kind: 'error', code, message: LIVE_ERRORS[code].message, fatal: true },
        });
        this.opts.send({ type: 'live.output', sessionId, output: { kind: 'closed' } });
        return;
      }
      const session: LiveSession = new LiveSession({
        settings: cmd.settings,
        recognizers: this.opts.recognizers,
        loadVad: this.opts.loadVad,
        maxQueued: this.opts.maxQueued,
        onFailure: (err) => this.opts.onFailure?.(err, sessionId),
        emit: (output) => {
          if (output.kind === 'closed' && this.sessions.get(sessionId) === session) this.sessions.delete(sessionId);
          this.opts.send({ type: 'live.output', sessionId, output });
        },
      });
      this.sessions.set(sessionId, session);
      return;
    }
    const session = this.sessions.get(sessionId);
    if (!session) return;
    if (cmd.type === 'live.close') void session.close();
    else session.enqueue(cmd);
  }

  /** Ends every session (error `code`, then closed) and waits until all resources are released. */
  async closeAll(code: LiveErrorCode = 'server_shutting_down'): Promise<void> {
    this.shutdown = code;
    await Promise.all([...this.sessions.values()].map((s) => s.fail(code)));
  }
}
