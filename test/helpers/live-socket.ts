import { WebSocket } from 'ws';

/** A server event as received (JSON object with a `type`). */
export interface LiveEvent {
  type: string;
  [key: string]: unknown;
}

export interface LiveSocketOptions {
  token?: string;
  /** Where the token goes: the Authorization header (default), `?token=`, or the browser subprotocol. */
  tokenIn?: 'header' | 'query' | 'protocol';
  /** Extra query parameters, e.g. { save: 'true' }. */
  query?: Record<string, string>;
}

/**
 * A raw WebSocket client for protocol tests: every event the server sends is queued, and tests
 * wait for the next event matching a predicate (event-driven, with a deadline that fails with
 * what did arrive). Nothing is interpreted, so tests see the protocol exactly.
 */
export class LiveSocket {
  readonly events: LiveEvent[] = [];
  private cursor = 0;
  private waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.events.push(JSON.parse(String(data)) as LiveEvent);
      this.wakeAll();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.wakeAll();
    });
    ws.on('error', () => {});
  }

  /** Connects and resolves once the socket is open (not waiting for session.created). */
  static connect(baseUrl: string, opts: LiveSocketOptions = {}): Promise<LiveSocket> {
    const url = new URL('/v1/realtime', baseUrl.replace(/^http/, 'ws'));
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = {};
    const protocols = ['realtime'];
    if (opts.token !== undefined) {
      const where = opts.tokenIn ?? 'header';
      if (where === 'header') headers.authorization = `Bearer ${opts.token}`;
      else if (where === 'query') url.searchParams.set('token', opts.token);
      else protocols.push(`openai-insecure-api-key.${opts.token}`);
    }
    const ws = new WebSocket(url, protocols, { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new LiveSocket(ws)));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () =>
          reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body })),
        );
      });
      ws.once('error', reject);
    });
  }

  send(event: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(event));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** Sends PCM16 as appends of `chunkMs` each (default 100 ms) at `rate`. */
  appendPcm(pcm: Int16Array, rate: number, chunkMs = 100): void {
    const step = Math.round((rate * chunkMs) / 1000);
    for (let i = 0; i < pcm.length; i += step) {
      const part = pcm.subarray(i, Math.min(pcm.length, i + step));
      this.send({
        type: 'input_audio_buffer.append',
        audio: Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('base64'),
      });
    }
  }

  /** Waits for the next event (after those already taken) that matches; earlier non-matching ones are skipped. */
  async next(match: string | ((e: LiveEvent) => boolean), timeoutMs = 60_000): Promise<LiveEvent> {
    const pred = typeof match === 'string' ? (e: LiveEvent) => e.type === match : match;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.events.length) {
        const e = this.events[this.cursor++] as LiveEvent;
        if (pred(e)) return e;
      }
      if (this.closed)
        throw new Error(
          `socket closed (${this.closed.code} ${this.closed.reason}) before ${String(match)}; got ${this.summary()}`,
        );
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${String(match)}; got ${this.summary()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits until `n` events of `type` have arrived (counting from the start) and returns them. */
  async count(type: string, n: number, timeoutMs = 60_000): Promise<LiveEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.all(type);
      if (found.length >= n) return found;
      if (this.closed)
        throw new Error(
          `socket closed (${this.closed.code} ${this.closed.reason}) with ${found.length} of ${n} ${type}; got ${this.summary()}`,
        );
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} ${type}; got ${this.summary()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Resolves with the close code/reason once the server closed the socket. */
  async waitClosed(timeoutMs = 30_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (this.closed === null) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`socket still open; got ${this.summary()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.closed;
  }

  /** Every event of `type` received so far. */
  all(type: string): LiveEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  close(): void {
    this.ws.close();
  }

  /** Drops the TCP connection without a close handshake. */
  destroy(): void {
    this.ws.terminate();
  }

  private summary(): string {
    return JSON.stringify(this.events.map((e) => (e.type === 'error' ? e : e.type))).slice(0, 2000);
  }

  private wakeAll(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
