import WebSocket from 'ws';
import { LiveSessionError } from '../../core/errors/live-session.error.js';
import type { LiveInputRate } from '../live-settings.js';
import {
  appendEvent,
  FINISH_EVENT,
  FINISHED_EVENT,
  isFatalError,
  parseServerEvent,
  type RealtimeErrorBody,
  type RealtimeServerEvent,
  realtimeUrl,
  sessionUpdate,
} from './realtime-protocol.js';

export interface RealtimeClientOptions {
  /** http(s):// or ws(s):// base URL of the Earshot server. */
  server: string;
  /** API token, sent as `Authorization: Bearer`; omit for a server running with auth=none. */
  token?: string | null;
  rate: LiveInputRate;
  language: string;
  /** Ask the server to keep the session's audio and transcript as a task (?save=true). */
  save?: boolean;
  /** Every known server event, in arrival order (after the client's own bookkeeping). */
  onEvent?: (ev: RealtimeServerEvent) => void;
  /** Give up on the handshake + session setup after this long; default 30 s. */
  connectTimeoutMs?: number;
}

export interface SessionResult {
  /** The saved task, when the session was opened with `save`. */
  taskId: string | null;
}

type Outcome = { ok: true; result: SessionResult } | { ok: false; error: LiveSessionError };

/**
 * Bytes queued in the socket above which sendAudio waits for them to be written: about 1 s of 24 kHz
 * audio as base64 JSON. Enough to keep the connection busy; small enough that --fast does not pile
 * minutes of audio into memory while the server reads slowly.
 */
const HIGH_WATER_BYTES = 64 * 1024;
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/**
 * One live transcription session over `GET /v1/realtime` (Node; the browser has its own in the web
 * UI). `connect()` resolves once the server has applied the session settings; `sendAudio()` waits
 * while the socket is backed up; `finish()` asks the server to finish and resolves when it has
 * (`earshot.session.finished` then close 1000). A session that ends any other way rejects the
 * pending call with a LiveSessionError carrying the server's error code.
 */
export class RealtimeClient {
  private finished: SessionResult | null = null;
  private fatal: RealtimeErrorBody | null = null;
  private outcome: Outcome | null = null;
  private readonly done: Promise<Outcome>;

  private constructor(
    private readonly ws: WebSocket,
    private readonly opts: RealtimeClientOptions,
  ) {
    this.done = new Promise<Outcome>((resolve) => {
      ws.on('close', (code, reason) => {
        this.outcome = this.finished
          ? { ok: true, result: this.finished }
          : { ok: false, error: this.closedError(code, reason.toString()) };
        resolve(this.outcome);
      });
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const ev = parseServerEvent(data.toString());
      if (!ev) return;
      if (ev.type === 'error' && isFatalError(ev.error)) this.fatal = ev.error;
      if (ev.type === FINISHED_EVENT) this.finished = { taskId: ev.task_id ?? null };
      opts.onEvent?.(ev);
    });
  }

  /** Opens the session and applies its settings; rejects with LiveSessionError when refused. */
  static async connect(opts: RealtimeClientOptions): Promise<RealtimeClient> {
    const url = realtimeUrl(opts.server, { save: opts.save });
    const headers: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
    const ws = new WebSocket(url, { headers, maxPayload: 16 * 1024 * 1024 });
    // After setup a socket error is always followed by 'close', which reports it.
    ws.on('error', () => {});
    // Built first, so no event that follows session.updated in the same read can slip past it.
    const client = new RealtimeClient(ws, opts);
    const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    type Listener = (...args: unknown[]) => void;
    const listeners: Array<[string, Listener]> = [];
    const listen = <A extends unknown[]>(event: string, fn: (...args: A) => void) => {
      ws.on(event, fn as unknown as Listener);
      listeners.push([event, fn as unknown as Listener]);
    };
    const setup = new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => {
        reject(new LiveSessionError('connection_closed', `no live session from ${url} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      listen('unexpected-response', (req: { destroy(): void }, res: { statusCode?: number }) => {
        req.destroy();
        const refused =
          res.statusCode === 401
            ? 'the server refused the token (HTTP 401): pass --token or set EARSHOT_TOKEN'
            : `the server refused the live session (HTTP ${res.statusCode})`;
        reject(new LiveSessionError('handshake_refused', refused));
      });
      listen('error', (err: Error) => {
        reject(new LiveSessionError('connection_closed', `${url}: ${err.message}`, { cause: err }));
      });
      listen('close', (code: number, reason: Buffer) => reject(closedBeforeReady(code, reason.toString())));
      listen('message', (data: WebSocket.RawData) => {
        const ev = parseServerEvent(data.toString());
        if (ev?.type === 'session.created') ws.send(JSON.stringify(sessionUpdate(opts)));
        else if (ev?.type === 'session.updated' || ev?.type === 'transcription_session.updated') resolve();
        else if (ev?.type === 'error') reject(new LiveSessionError(ev.error.code ?? 'server_error', ev.error.message));
      });
    });
    try {
      await setup;
      return client;
    } catch (err) {
      ws.terminate();
      throw err;
    } finally {
      clearTimeout(timer);
      for (const [event, fn] of listeners) ws.off(event, fn);
    }
  }

  /**
   * Sends PCM16 LE mono at the session's rate as one append message. Resolves at once while the
   * socket keeps up; otherwise when this message has been written out (everything before it too),
   * so a fast producer runs at the connection's pace. Rejects when the session has ended.
   */
  async sendAudio(pcm: Uint8Array): Promise<void> {
    if (this.outcome) throw this.outcome.ok ? new Error('the live session is finished') : this.outcome.error;
    const message = appendEvent(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('base64'));
    if (this.ws.bufferedAmount < HIGH_WATER_BYTES) {
      this.ws.send(message);
      return;
    }
    const written = new Promise<void>((resolve) => this.ws.send(message, () => resolve()));
    const outcome = await Promise.race([written.then(() => null), this.done]);
    if (outcome && !outcome.ok) throw outcome.error;
  }

  /**
   * Asks the server to finish: it commits pending audio, sends the remaining results, then
   * `earshot.session.finished`, then closes. Resolves with the saved task id, if any.
   */
  async finish(): Promise<SessionResult> {
    if (!this.outcome && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: FINISH_EVENT }));
    const outcome = await this.done;
    if (!outcome.ok) throw outcome.error;
    return outcome.result;
  }

  /** Resolves when the session has ended either way (never rejects); for callers that only wait. */
  async ended(): Promise<SessionResult | LiveSessionError> {
    const outcome = await this.done;
    return outcome.ok ? outcome.result : outcome.error;
  }

  /** Drops the connection without finishing (results still in flight are lost). */
  abort(): void {
    this.ws.terminate();
  }

  get rate(): LiveInputRate {
    return this.opts.rate;
  }

  private closedError(code: number, reason: string): LiveSessionError {
    if (this.fatal) return new LiveSessionError(this.fatal.code ?? 'server_error', this.fatal.message);
    return new LiveSessionError(
      'connection_closed',
      `the server closed the live session (code ${code}${reason ? `: ${reason}` : ''})`,
    );
  }
}

function closedBeforeReady(code: number, reason: string): LiveSessionError {
  return new LiveSessionError(
    'connection_closed',
    `the server closed the connection before the session was ready (code ${code}${reason ? `: ${reason}` : ''})`,
  );
}
