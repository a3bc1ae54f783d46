import {
  appendEvent,
  FINISH_EVENT,
  FINISHED_EVENT,
  isFatalError,
  parseServerEvent,
  type RealtimeErrorBody,
  type RealtimeServerEvent,
  realtimeProtocols,
  realtimeUrl,
  sessionUpdate,
} from '../../../live/client/realtime-protocol';
import type { LiveInputRate } from '../../../live/live-settings';

export interface LiveSocketOptions {
  token: string | null;
  save: boolean;
  rate: LiveInputRate;
  language: string;
  onEvent(ev: RealtimeServerEvent): void;
  /** Once, when the socket closes after setup: finished cleanly (with the saved task, if any) or not. */
  onEnd(end: LiveEnd): void;
}

export type LiveEnd = { ok: true; taskId: string | null } | { ok: false; message: string };

/** More unsent bytes than this (about 4 s of 24 kHz audio as base64) means the connection is not keeping up. */
const SLOW_BYTES = 256 * 1024;

/**
 * The browser's side of one `/v1/realtime` session. Browsers cannot send an Authorization header on
 * a WebSocket, so the token travels as OpenAI's `openai-insecure-api-key.<token>` subprotocol.
 */
export class LiveSocket {
  private finished: { taskId: string | null } | null = null;
  private fatal: RealtimeErrorBody | null = null;

  private constructor(private readonly ws: WebSocket) {}

  /** Opens the socket and applies the session settings; rejects with a sentence to show. */
  static open(opts: LiveSocketOptions): Promise<LiveSocket> {
    const url = realtimeUrl(location.origin, { save: opts.save });
    const ws = new WebSocket(url, realtimeProtocols(opts.token));
    const socket = new LiveSocket(ws);
    return new Promise((resolve, reject) => {
      let ready = false;
      ws.onmessage = (e: MessageEvent) => {
        if (typeof e.data !== 'string') return;
        const ev = parseServerEvent(e.data);
        if (!ev) return;
        if (!ready) {
          if (ev.type === 'session.created') ws.send(JSON.stringify(sessionUpdate(opts)));
          else if (ev.type === 'session.updated' || ev.type === 'transcription_session.updated') {
            ready = true;
            resolve(socket);
          } else if (ev.type === 'error') {
            reject(new Error(`The server refused the live session: ${ev.error.message}`));
            ws.close();
          }
          return;
        }
        socket.note(ev);
        opts.onEvent(ev);
      };
      ws.onclose = (e: CloseEvent) => {
        if (!ready) {
          // A refused handshake (bad token, no live support) reaches a browser only as code 1006.
          reject(
            new Error(
              e.code === 1006
                ? 'Could not open a live session: the server refused the connection or cannot be reached.'
                : `The server closed the live session before it started (code ${e.code}${e.reason ? `: ${e.reason}` : ''}).`,
            ),
          );
          return;
        }
        opts.onEnd(socket.end(e));
      };
    });
  }

  sendPcm(pcm: Int16Array): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(appendEvent(toBase64(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength))));
  }

  /** Whether audio is piling up unsent (a slow or stalled connection). */
  get fallingBehind(): boolean {
    return this.ws.bufferedAmount > SLOW_BYTES;
  }

  /** Asks the server to finish; onEnd follows once it has sent the last results and closed. */
  finish(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: FINISH_EVENT }));
  }

  /** Drops the session without waiting for results. */
  close(): void {
    this.ws.onmessage = null;
    this.ws.close();
  }

  private note(ev: RealtimeServerEvent): void {
    if (ev.type === 'error' && isFatalError(ev.error)) this.fatal = ev.error;
    if (ev.type === FINISHED_EVENT) this.finished = { taskId: ev.task_id ?? null };
  }

  private end(e: CloseEvent): LiveEnd {
    if (this.finished) return { ok: true, taskId: this.finished.taskId };
    if (this.fatal) return { ok: false, message: this.fatal.message };
    return {
      ok: false,
      message: `The live session ended unexpectedly (code ${e.code}${e.reason ? `: ${e.reason}` : ''}).`,
    };
  }
}

/** btoa needs a binary string; built in slices so a long frame never overflows the argument list. */
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
