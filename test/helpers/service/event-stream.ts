/** One Server-Sent Event as received. */
export interface SseEvent {
  id: number | null;
  event: string;
  data: unknown;
  /** Date.now() when it arrived. */
  at: number;
}

/**
 * A minimal `text/event-stream` client over fetch: keeps every event received, and lets a test wait
 * for one that matches a condition. Comments (heartbeats) are skipped.
 */
export class EventStream {
  readonly events: SseEvent[] = [];
  private ended = false;
  private endError: unknown = null;
  private waiters = new Set<() => void>();

  private constructor(private readonly abort: AbortController) {}

  static async open(url: string, token: string, lastEventId?: number): Promise<EventStream> {
    const abort = new AbortController();
    const headers: Record<string, string> = { accept: 'text/event-stream', authorization: `Bearer ${token}` };
    if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
    const res = await fetch(url, { headers, signal: abort.signal });
    if (res.status !== 200 || res.body === null) {
      throw new Error(`event stream ${url}: ${res.status} ${await res.text()}`);
    }
    if (!res.headers.get('content-type')?.startsWith('text/event-stream')) {
      throw new Error(`event stream ${url}: content-type ${res.headers.get('content-type')}`);
    }
    const stream = new EventStream(abort);
    void stream.pump(res.body);
    return stream;
  }

  /** Events of one type, in arrival order. */
  ofType(type: string): SseEvent[] {
    return this.events.filter((e) => e.event === type);
  }

  /** Resolves with the first event (from the start of the stream) matching `pred`. */
  waitFor(pred: (e: SseEvent) => boolean, timeoutMs = 60_000, what = 'a matching event'): Promise<SseEvent> {
    return this.waitUntil((events) => events.find(pred), timeoutMs, what);
  }

  /** Resolves with the matching events once there are at least `count` of them. */
  waitForCount(pred: (e: SseEvent) => boolean, count: number, timeoutMs = 60_000): Promise<SseEvent[]> {
    return this.waitUntil(
      (events) => {
        const matching = events.filter(pred);
        return matching.length >= count ? matching : undefined;
      },
      timeoutMs,
      `${count} matching events`,
    );
  }

  /** Re-evaluates `check` on the events so far whenever more arrive, until it returns a value. */
  async waitUntil<T>(
    check: (events: readonly SseEvent[]) => T | undefined,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = check(this.events);
      if (found !== undefined) return found;
      if (this.ended) throw new Error(`event stream ended before ${what} arrived: ${String(this.endError ?? '')}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no ${what} within ${timeoutMs} ms (seen: ${this.events.map((e) => e.event).join(',')})`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  get isEnded(): boolean {
    return this.ended;
  }

  close(): void {
    this.abort.abort();
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        // Events end with a blank line; normalise CRLF/CR line ends first.
        buffer = buffer.replace(/\r\n?/g, '\n');
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const ev = parseBlock(block);
          if (ev) this.events.push(ev);
          end = buffer.indexOf('\n\n');
        }
        this.notify();
      }
    } catch (err) {
      if (!this.abort.signal.aborted) this.endError = err;
    } finally {
      this.ended = true;
      this.notify();
    }
  }

  private notify(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }
}

/** One event block per the SSE spec's field rules (`field: value`, one optional space, data lines joined). */
function parseBlock(block: string): SseEvent | null {
  let event = 'message';
  let id: number | null = null;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = Number(value);
  }
  if (data.length === 0) return null;
  const text = data.join('\n');
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { id, event, data: parsed, at: Date.now() };
}
