/**
 * The OpenAI-compatible door's answers to what a worker does, with the worker played through the
 * store (test/api/support.ts `work` style): chunks finishing out of order, a task failing for good
 * (on the server's side or its input's), a task cancelled through the task API; and the upload and
 * queue limits. Real HTTP, real SQLite, the official `openai` SDK as the client. (Recognition itself
 * is tested with the real engine in openai-door.test.ts.)
 */
import OpenAI, { APIError, BadRequestError, ConflictError, InternalServerError, RateLimitError, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Segment } from '../../src/core/transcript.js';
import type { TestServer } from '../helpers/server.js';
import { startServer } from '../helpers/server.js';
import { CLIP, call, clip, SEGMENTS, TRANSCRIPT, until } from './support.js';

let s: TestServer;
let client: OpenAI;
const audio = async (name = 'clip.wav') => toFile(await clip(CLIP), name, { type: 'audio/wav' });

beforeAll(async () => {
  s = await startServer({ config: { maxAttempts: 1 } });
  client = new OpenAI({ apiKey: s.tokens.alice, baseURL: `${s.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await s?.close();
});

/** Claims the door's task as worker `w1` once it is queued. */
async function claimed(): Promise<string> {
  const task = await until(() => s.store.claim('w1', 60_000));
  return task.id;
}

/** The error a request ends with. */
async function rejection(p: Promise<unknown>): Promise<APIError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof APIError)) throw new Error(`expected an APIError, got ${String(err)}`);
  return err;
}

describe('the door follows its task', () => {
  it('streams a chunk only once the chunks before it are done; the deltas add up to the done text', async () => {
    const stream = await client.audio.transcriptions.create({ file: await audio(), model: 'whisper-1', stream: true });
    const id = await claimed();
    const first = { index: 0, startSample: 0, endSample: 24_000 };
    const second = { index: 1, startSample: 24_000, endSample: 47_840 };
    await s.store.savePlan(id, 'w1', [first, second], true);
    // Chunk 1 finishes first: it must wait for chunk 0.
    await s.store.checkpointChunk(id, 'w1', { ...second, segments: [SEGMENTS[1] as Segment], attempt: 1 });
    await s.store.checkpointChunk(id, 'w1', { ...first, segments: [SEGMENTS[0] as Segment], attempt: 1 });
    await s.store.complete(id, 'w1', TRANSCRIPT);
    const events: unknown[] = [];
    for await (const ev of stream) events.push(ev);
    expect(events).toEqual([
      { type: 'transcript.text.delta', delta: 'hello world second chunk' },
      { type: 'transcript.text.done', text: TRANSCRIPT.text, usage: { type: 'duration', seconds: 3 } },
    ]);
  });

  it('a task failed on the server is a 502 the SDK does not retry; one failed by its input a 400', async () => {
    const pending = rejection(client.audio.transcriptions.create({ file: await audio(), model: 'whisper-1' }));
    await s.store.fail(await claimed(), 'w1', {
      code: 'engine_failed',
      message: 'the engine crashed',
      retryable: true,
    });
    const crashed = await pending;
    expect(crashed).toBeInstanceOf(InternalServerError);
    expect(crashed.status).toBe(502);
    expect(crashed.error).toMatchObject({ type: 'server_error', code: 'engine_failed' });
    expect(crashed.message).toContain('the engine crashed');
    expect(crashed.headers?.get('x-should-retry')).toBe('false');

    const refused = rejection(client.audio.transcriptions.create({ file: await audio(), model: 'whisper-1' }));
    await s.store.fail(await claimed(), 'w1', { code: 'bad_audio', message: 'no audio stream', retryable: false });
    const bad = await refused;
    expect(bad).toBeInstanceOf(BadRequestError);
    expect(bad.error).toMatchObject({ type: 'invalid_request_error', code: 'bad_audio', param: 'file' });
  });

  it('a stream ends with an error event when its task fails', async () => {
    const stream = await client.audio.transcriptions.create({ file: await audio(), model: 'whisper-1', stream: true });
    await s.store.fail(await claimed(), 'w1', {
      code: 'engine_failed',
      message: 'the engine crashed',
      retryable: true,
    });
    const err = await rejection(
      (async () => {
        for await (const _ of stream);
      })(),
    );
    expect(err.error).toMatchObject({ type: 'server_error', code: 'engine_failed' });
  });

  it('a task cancelled through the task API answers 409 task_cancelled', async () => {
    const pending = rejection(
      client.audio.transcriptions.create({ file: await audio('cancel-me.wav'), model: 'whisper-1' }),
    );
    const task = await until(async () => {
      const page = await s.store.list(
        { userId: s.users.alice?.id as string },
        { status: 'queued', limit: 10, offset: 0 },
      );
      return page.tasks.find((t) => t.sourceName === 'cancel-me.wav');
    });
    const res = await call(s, 'POST', `/v1/tasks/${task.id}/cancel`, { token: s.tokens.alice });
    expect(res.status).toBe(200);
    const err = await pending;
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.error).toMatchObject({ code: 'task_cancelled' });
  });
});

describe('no wait limit', () => {
  it('answers after many of the wait limits ?wait=true has, and ignores the sync size limits', async () => {
    const slow = await startServer({
      tuning: { syncWaitTimeoutMs: 50 },
      config: { syncMaxBytes: 0, syncMaxSeconds: 0 },
    });
    try {
      const c = new OpenAI({ apiKey: slow.tokens.alice, baseURL: `${slow.url}/v1`, maxRetries: 0 });
      let answered = false;
      const pending = c.audio.transcriptions.create({ file: await audio(), model: 'whisper-1' }).finally(() => {
        answered = true;
      });
      const task = await until(() => slow.store.claim('w1', 60_000));
      // Time passing is what is tested here: ten wait limits go by without an answer.
      const t0 = Date.now();
      await until(() => Date.now() - t0 > 500);
      expect(answered).toBe(false);
      await slow.store.complete(task.id, 'w1', TRANSCRIPT);
      expect(await pending).toEqual({ text: TRANSCRIPT.text, usage: { type: 'duration', seconds: 3 } });
    } finally {
      await slow.close();
    }
  });
});

describe('a server shutting down', () => {
  it('answers waiting requests 503 (streams: an error event) and cancels their tasks', async () => {
    const closing = await startServer();
    try {
      const c = new OpenAI({ apiKey: closing.tokens.alice, baseURL: `${closing.url}/v1`, maxRetries: 0 });
      const waiting = rejection(c.audio.transcriptions.create({ file: await audio('wait.wav'), model: 'whisper-1' }));
      const stream = await c.audio.transcriptions.create({
        file: await audio('stream.wav'),
        model: 'whisper-1',
        stream: true,
      });
      const streamed = rejection(
        (async () => {
          for await (const _ of stream);
        })(),
      );
      const queued = await until(async () => {
        const page = await closing.store.list({ admin: true }, { status: 'queued', limit: 10, offset: 0 });
        return page.tasks.length === 2 && page.tasks;
      });
      const closed = closing.app.close();
      const [waitErr, streamErr] = await Promise.all([waiting, streamed]);
      expect(waitErr.status).toBe(503);
      expect(waitErr.error).toMatchObject({ type: 'server_error' });
      expect(streamErr.error).toMatchObject({ type: 'server_error', code: 'unavailable' });
      await closed;
      for (const t of queued) expect((await closing.store.get(t.id, { admin: true }))?.status).toBe('cancelled');
    } finally {
      await closing.close();
    }
  });
});

describe('limits, in OpenAI shape', () => {
  let small: TestServer;
  afterAll(async () => {
    await small?.close();
  });

  it('413 above the upload limit (nothing kept), 429 with Retry-After when the queue is full', async () => {
    small = await startServer({ config: { maxUploadBytes: 50_000, maxQueued: 1 } });
    const smallClient = new OpenAI({ apiKey: small.tokens.alice, baseURL: `${small.url}/v1`, maxRetries: 0 });
    const tooBig = await rejection(
      smallClient.audio.transcriptions.create({ file: await audio(), model: 'whisper-1' }),
    );
    expect(tooBig.status).toBe(413);
    expect(tooBig.error).toMatchObject({ type: 'invalid_request_error', code: 'payload_too_large', param: 'file' });
    expect((await small.store.list({ admin: true }, { limit: 10, offset: 0 })).total).toBe(0);

    const tiny = new Uint8Array((await clip(CLIP)).subarray(0, 40_000));
    await small.store.enqueue(
      {
        id: 'a-queued-task',
        userId: small.users.bob?.id as string,
        priority: 0,
        sourceName: 'queued.wav',
        mediaPath: '/nonexistent',
        mediaBytes: tiny.length,
        options: { language: 'en', formats: ['json'] },
        callbackUrl: null,
        maxAttempts: 1,
        durationSeconds: 1,
      },
      1,
    );
    const full = await rejection(
      smallClient.audio.transcriptions.create({ file: await toFile(tiny, 'tiny.wav'), model: 'whisper-1' }),
    );
    expect(full).toBeInstanceOf(RateLimitError);
    expect(full.error).toMatchObject({ type: 'requests', code: 'queue_full' });
    expect(Number(full.headers?.get('retry-after'))).toBeGreaterThan(0);
  });
});
