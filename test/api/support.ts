import { readFile } from 'node:fs/promises';
import type { Segment, Transcript } from '../../src/core/transcript.js';
import type { TaskStore } from '../../src/store/task.store.js';
import type { TestServer } from '../helpers/server.js';

/** Loosely typed JSON for assertions on API responses. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by assertions, not types
export type Json = Record<string, any>;

export const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox';
export const CLIP = `${LIBRIVOX}/sense_and_sensibility_01_austen_64kb-0880.wav`; // 2.99 s, 95 724 bytes
export const CLIP2 = `${LIBRIVOX}/sense_and_sensibility_01_austen_64kb-0930.wav`; // 3.29 s

export interface CallOptions {
  token?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

/** fetch against the test server with a Bearer token; JSON bodies are encoded. */
export async function call(
  server: TestServer,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: BodyInit | undefined;
  if (opts.body instanceof FormData || typeof opts.body === 'string' || opts.body instanceof Uint8Array) {
    body = opts.body as BodyInit;
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  return fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** A multipart form: option fields first (the API reads them before the file), then the file part. */
export function form(file: Uint8Array<ArrayBuffer>, filename: string, fields: Record<string, string> = {}): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append('file', new Blob([file], { type: 'audio/wav' }), filename);
  return fd;
}

export async function clip(path = CLIP): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await readFile(path));
}

/** Uploads the test clip as `user`; returns the created task JSON. */
export async function upload(
  server: TestServer,
  user: string,
  fields: Record<string, string> = {},
  filename = 'clip.wav',
): Promise<{ id: string; [k: string]: unknown }> {
  const res = await call(server, 'POST', '/v1/tasks', {
    token: server.tokens[user],
    body: form(await clip(), filename, fields),
  });
  if (res.status !== 202) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  return json(res);
}

/**
 * Polls a condition (not a fixed sleep): resolves as soon as it holds, fails after `timeoutMs`.
 * Deadlines here and below only bound how long a hang takes to report: generous, for loaded machines.
 */
export async function until<T>(
  fn: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const SEGMENTS: Segment[] = [
  {
    start: 0,
    end: 1.2,
    text: 'hello world',
    words: [
      { word: 'hello', start: 0, end: 0.5, confidence: 0.9 },
      { word: 'world', start: 0.6, end: 1.2, confidence: 0.8 },
    ],
  },
  {
    start: 1.5,
    end: 2.9,
    text: 'second chunk',
    words: [
      { word: 'second', start: 1.5, end: 2, confidence: 0.9 },
      { word: 'chunk', start: 2.1, end: 2.9, confidence: 0.7 },
    ],
  },
];

export const TRANSCRIPT: Transcript = {
  language: 'en',
  duration: 2.99,
  segments: SEGMENTS,
  text: 'hello world second chunk',
};

/**
 * Plays a worker: claims the (only runnable) task, reports progress, checkpoints chunk 0 and, unless
 * told to stop there, chunk 1 and completes. Returns the worker id.
 */
export async function work(
  store: TaskStore,
  taskId: string,
  until: 'claimed' | 'chunk0' | 'complete' = 'complete',
  workerId = 'w1',
): Promise<string> {
  const claimed = await store.claim(workerId, 60_000);
  if (claimed?.id !== taskId) throw new Error(`claimed ${claimed?.id ?? 'nothing'} instead of ${taskId}`);
  if (until === 'claimed') return workerId;
  await store.savePlan(
    taskId,
    workerId,
    [
      { index: 0, startSample: 0, endSample: 24_000 },
      { index: 1, startSample: 24_000, endSample: 47_840 },
    ],
    true,
  );
  await store.reportProgress(taskId, workerId, { stage: 'recognizing', doneSeconds: 1.5, speed: 3 });
  await store.checkpointChunk(taskId, workerId, {
    index: 0,
    startSample: 0,
    endSample: 24_000,
    segments: [SEGMENTS[0] as Segment],
    attempt: 1,
  });
  if (until === 'chunk0') return workerId;
  await store.checkpointChunk(taskId, workerId, {
    index: 1,
    startSample: 24_000,
    endSample: 47_840,
    segments: [SEGMENTS[1] as Segment],
    attempt: 1,
  });
  await store.complete(taskId, workerId, TRANSCRIPT);
  return workerId;
}

export interface SseMessage {
  id?: string;
  event: string;
  data: unknown;
}

/** A minimal EventSource over fetch: parses frames, ignores comments, exposes them in order. */
export class SseClient {
  readonly messages: SseMessage[] = [];
  comments = 0;
  ended = false;
  status = 0;
  private readonly ac = new AbortController();
  private waiters: Array<() => void> = [];
  private pump: Promise<void> = Promise.resolve();

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const c = new SseClient();
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: c.ac.signal });
    c.status = res.status;
    if (res.status !== 200 || res.body === null) {
      c.ended = true;
      c.messages.push({ event: 'http_error', data: await res.text() });
      return c;
    }
    c.pump = c.read(res.body);
    return c;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      const reader = body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let i = buf.indexOf('\n\n');
        while (i >= 0) {
          this.frame(buf.slice(0, i));
          buf = buf.slice(i + 2);
          i = buf.indexOf('\n\n');
        }
      }
    } catch {
      // aborted by close()
    } finally {
      this.ended = true;
      this.wake();
    }
  }

  private frame(text: string): void {
    const msg: SseMessage = { event: 'message', data: null };
    let data = '';
    let comment = true;
    for (const line of text.split('\n')) {
      if (line.startsWith(':')) continue;
      comment = false;
      const [field, ...rest] = line.split(':');
      const value = rest.join(':').replace(/^ /, '');
      if (field === 'id') msg.id = value;
      else if (field === 'event') msg.event = value;
      else if (field === 'data') data += value;
    }
    if (comment) this.comments++;
    else {
      msg.data = JSON.parse(data);
      this.messages.push(msg);
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once `pred` holds for the messages received so far (or rejects after `timeoutMs`). */
  async waitFor(pred: (msgs: SseMessage[]) => boolean, timeoutMs = 60_000): Promise<SseMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.messages)) {
      if (this.ended) throw new Error(`stream ended; got ${JSON.stringify(this.messages.map((m) => m.event))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(this.messages.map((m) => m.event))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.messages;
  }

  /** Resolves when the server ends the stream. */
  async waitEnd(timeoutMs = 60_000): Promise<void> {
    await Promise.race([
      this.pump,
      new Promise((_, reject) => setTimeout(() => reject(new Error('stream did not end')), timeoutMs).unref()),
    ]);
  }

  async close(): Promise<void> {
    this.ac.abort();
    await this.pump;
  }
}
