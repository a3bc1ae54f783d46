import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { CLIP, call, clip, form, type Json, json, TRANSCRIPT, upload, work } from './support.js';

describe('tasks API', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => {
    await s.close();
  });

  it('creates a task from a multipart upload: 202 with the documented shape, file stored under media/<id>/', async () => {
    const res = await call(s, 'POST', '/v1/tasks', {
      token: s.tokens.alice,
      body: form(await clip(), 'lecture.wav', {
        language: 'en',
        formats: 'json,srt',
        priority: '3',
        max_chunk_seconds: '20',
      }),
    });
    expect(res.status).toBe(202);
    const task: Json = await json(res);
    expect(task).toMatchObject({
      status: 'queued',
      stage: 'waiting',
      source_name: 'lecture.wav',
      media_bytes: (await stat(CLIP)).size,
      priority: 3,
      options: { language: 'en', formats: ['json', 'srt'], max_chunk_seconds: 20 },
      progress: { percent: 0, done_seconds: 0, speed: null, eta_seconds: null },
      attempts: 0,
      error: null,
      started_at: null,
      finished_at: null,
      elapsed_seconds: null,
      callback_url: null,
    });
    expect(task.duration_seconds).toBeCloseTo(2.99, 1);
    expect(task.progress.total_seconds).toBeCloseTo(2.99, 1);
    expect(typeof task.id).toBe('string');
    expect(new Date(task.created_at).toISOString()).toBe(task.created_at);
    expect(task).not.toHaveProperty('media_path');
    expect(task).not.toHaveProperty('user_id');

    const dir = path.join(s.dataDir, 'media', task.id);
    const files = await readdir(dir);
    expect(files).toEqual(['input.wav']);
    expect(Buffer.compare(await readFile(path.join(dir, 'input.wav')), Buffer.from(await clip()))).toBe(0);
  });

  it('rejects invalid option fields with 400 invalid_request', async () => {
    const cases: Record<string, string>[] = [
      { priority: '11' },
      { formats: 'json,docx' },
      { language: '../../x' },
      { bogus: '1' },
      { max_chunk_seconds: 'abc' },
    ];
    for (const fields of cases) {
      const res = await call(s, 'POST', '/v1/tasks', {
        token: s.tokens.alice,
        body: form(await clip(), 'a.wav', fields),
      });
      expect(res.status, JSON.stringify(fields)).toBe(400);
      expect((await json<Json>(res)).error.code).toBe('invalid_request');
    }
    const noFile = new FormData();
    noFile.append('language', 'en');
    const res = await call(s, 'POST', '/v1/tasks', { token: s.tokens.alice, body: noFile });
    expect(res.status).toBe(400);
    const badJson = await call(s, 'POST', '/v1/tasks', {
      token: s.tokens.alice,
      body: { url: 'http://example.com/a.wav', extra: 1 },
    });
    expect(badJson.status).toBe(400);
    expect((await json<Json>(badJson)).error.code).toBe('invalid_request');
  });

  it('answers 415 for a body that is neither multipart nor JSON', async () => {
    for (const type of ['text/plain', 'audio/wav']) {
      const res = await call(s, 'POST', '/v1/tasks', {
        token: s.tokens.alice,
        body: 'hello',
        headers: { 'content-type': type },
      });
      expect(res.status, type).toBe(415);
      expect((await json<Json>(res)).error.code).toBe('unsupported_media_type');
    }
  });

  it('gets one task and 404s for unknown ids', async () => {
    const t = await upload(s, 'alice');
    const res = await call(s, 'GET', `/v1/tasks/${t.id}`, { token: s.tokens.alice });
    expect(res.status).toBe(200);
    expect((await json<Json>(res)).id).toBe(t.id);
    const missing = await call(s, 'GET', '/v1/tasks/00000000-0000-0000-0000-000000000000', { token: s.tokens.alice });
    expect(missing.status).toBe(404);
    expect(await json(missing)).toEqual({ error: { code: 'not_found', message: 'task not found' } });
  });
});

describe('listing', () => {
  let s: TestServer;
  const ids: string[] = [];
  beforeAll(async () => {
    s = await startServer();
    for (let i = 0; i < 5; i++) ids.push((await upload(s, 'alice', {}, `a${i}.wav`)).id);
    await upload(s, 'bob', {}, 'b.wav');
    await call(s, 'POST', `/v1/tasks/${ids[0]}/cancel`, { token: s.tokens.alice });
  });
  afterAll(async () => {
    await s.close();
  });

  it('lists only the caller’s tasks, newest first, with paging, total and counts', async () => {
    const res = await call(s, 'GET', '/v1/tasks?limit=2&offset=1', { token: s.tokens.alice });
    expect(res.status).toBe(200);
    const page: Json = await json(res);
    expect(page.total).toBe(5);
    expect(page.counts).toEqual({ queued: 4, processing: 0, succeeded: 0, failed: 0, cancelled: 1 });
    expect(page.tasks.map((t: Json) => t.id)).toEqual([ids[3], ids[2]]);
    const all: Json = await json(await call(s, 'GET', '/v1/tasks', { token: s.tokens.alice }));
    expect(all.tasks.map((t: Json) => t.id)).toEqual([...ids].reverse());
  });

  it('filters by status; counts ignore the filter', async () => {
    const page: Json = await json(await call(s, 'GET', '/v1/tasks?status=cancelled', { token: s.tokens.alice }));
    expect(page.total).toBe(1);
    expect(page.tasks.map((t: Json) => t.id)).toEqual([ids[0]]);
    expect(page.counts.queued).toBe(4);
  });

  it('validates paging parameters', async () => {
    for (const q of ['limit=0', 'limit=101', 'offset=-1', 'status=bogus', 'limit=abc']) {
      const res = await call(s, 'GET', `/v1/tasks?${q}`, { token: s.tokens.alice });
      expect(res.status, q).toBe(400);
      expect((await json<Json>(res)).error.code).toBe('invalid_request');
    }
  });

  it('admins see every task', async () => {
    const page: Json = await json(await call(s, 'GET', '/v1/tasks?limit=100', { token: s.tokens.root }));
    expect(page.total).toBe(6);
    const bobTask = page.tasks.find((t: Json) => t.source_name === 'b.wav');
    const res = await call(s, 'GET', `/v1/tasks/${bobTask.id}`, { token: s.tokens.root });
    expect(res.status).toBe(200);
  });
});

describe('authentication and isolation', () => {
  let s: TestServer;
  let taskId: string;
  beforeAll(async () => {
    s = await startServer();
    taskId = (await upload(s, 'alice')).id;
  });
  afterAll(async () => {
    await s.close();
  });

  const endpoints = (id: string): Array<[string, string]> => [
    ['GET', `/v1/tasks/${id}`],
    ['GET', `/v1/tasks/${id}/transcript`],
    ['GET', `/v1/tasks/${id}/transcript?partial=true`],
    ['GET', `/v1/tasks/${id}/media`],
    ['GET', `/v1/tasks/${id}/events`],
    ['POST', `/v1/tasks/${id}/cancel`],
    ['POST', `/v1/tasks/${id}/retry`],
    ['DELETE', `/v1/tasks/${id}`],
  ];

  it('401 without a token, with a bad token, and for access_token outside the SSE and media routes', async () => {
    for (const [method, p] of [
      ...endpoints(taskId),
      ['GET', '/v1/tasks'],
      ['GET', '/v1/events'],
      ['POST', '/v1/tasks'],
    ] as Array<[string, string]>) {
      const none = await call(s, method, p);
      expect(none.status, `${method} ${p}`).toBe(401);
      expect((await json<Json>(none)).error.code).toBe('unauthorized');
      const bad = await call(s, method, p, { token: 'esk_not-a-token' });
      expect(bad.status, `${method} ${p}`).toBe(401);
    }
    const viaQuery = await call(s, 'GET', `/v1/tasks?access_token=${s.tokens.alice}`);
    expect(viaQuery.status).toBe(401);
    const basic = await call(s, 'GET', '/v1/tasks', { headers: { authorization: `Basic ${s.tokens.alice}` } });
    expect(basic.status).toBe(401);
  });

  it("another user's task is 404 on every endpoint, and nothing changes", async () => {
    for (const [method, p] of endpoints(taskId)) {
      const res = await call(s, method, p, { token: s.tokens.bob });
      expect(res.status, `${method} ${p}`).toBe(404);
      expect((await json<Json>(res)).error.code).toBe('not_found');
    }
    const still: Json = await json(await call(s, 'GET', `/v1/tasks/${taskId}`, { token: s.tokens.alice }));
    expect(still.status).toBe('queued');
    expect(await readdir(path.join(s.dataDir, 'media', taskId))).toHaveLength(1);
  });

  it('non-admins get 403 on /v1/admin/*', async () => {
    for (const [method, p] of [
      ['GET', '/v1/admin/workers'],
      ['POST', '/v1/admin/workers/w1/drain'],
      ['POST', '/v1/admin/workers/w1/undrain'],
      ['POST', '/v1/admin/pause'],
      ['POST', '/v1/admin/resume'],
    ] as const) {
      const res = await call(s, method, p, { token: s.tokens.alice });
      expect(res.status).toBe(403);
      expect((await json<Json>(res)).error.code).toBe('forbidden');
    }
  });
});

describe('lifecycle: transcript, media, cancel, retry, delete', () => {
  let s: TestServer;
  beforeEach(async () => {
    s = await startServer();
  });
  afterEach(async () => {
    await s.close();
  });

  it('transcript is 409 not_ready before done, partial while running, then every format', async () => {
    const t = await upload(s, 'alice', {}, 'talk.wav');
    const early = await call(s, 'GET', `/v1/tasks/${t.id}/transcript`, { token: s.tokens.alice });
    expect(early.status).toBe(409);
    expect((await json<Json>(early)).error.code).toBe('not_ready');

    const wid = await work(s.store, t.id, 'chunk0');
    const running: Json = await json(await call(s, 'GET', `/v1/tasks/${t.id}`, { token: s.tokens.alice }));
    expect(running.status).toBe('processing');
    expect(running.stage).toBe('recognizing');
    expect(running.progress.percent).toBeCloseTo(50.2, 0);
    expect(running.progress.speed).toBe(3);
    expect(running.progress.eta_seconds).toBe(0);
    expect(running.attempts).toBe(1);
    expect(running.elapsed_seconds).toBeGreaterThanOrEqual(0);

    const partial = await call(s, 'GET', `/v1/tasks/${t.id}/transcript?partial=true`, { token: s.tokens.alice });
    expect(partial.status).toBe(200);
    const pj: Json = await json(partial);
    expect(pj.partial).toBe(true);
    expect(pj.text).toBe('hello world');
    expect(pj.segments).toHaveLength(1);

    await s.store.checkpointChunk(t.id, wid, {
      index: 1,
      startSample: 24_000,
      endSample: 47_840,
      segments: TRANSCRIPT.segments.slice(1),
      attempt: 1,
    });
    await s.store.complete(t.id, wid, TRANSCRIPT);

    const done = await call(s, 'GET', `/v1/tasks/${t.id}/transcript`, { token: s.tokens.alice });
    expect(done.status).toBe(200);
    expect(done.headers.get('content-type')).toMatch(/^application\/json/);
    const dj: Json = await json(done);
    expect(dj.text).toBe(TRANSCRIPT.text);
    expect(dj.partial).toBeUndefined();

    const srt = await call(s, 'GET', `/v1/tasks/${t.id}/transcript?format=srt&download=1`, { token: s.tokens.alice });
    expect(srt.status).toBe(200);
    expect(srt.headers.get('content-type')).toMatch(/^application\/x-subrip/);
    expect(srt.headers.get('content-disposition')).toContain('filename="talk.srt"');
    expect(await srt.text()).toMatch(/^1\r?\n00:00:00,000 --> /);
    const vtt = await call(s, 'GET', `/v1/tasks/${t.id}/transcript?format=vtt&max_chars_per_line=20`, {
      token: s.tokens.alice,
    });
    expect(await vtt.text()).toMatch(/^WEBVTT/);
    const txt = await call(s, 'GET', `/v1/tasks/${t.id}/transcript?format=txt`, { token: s.tokens.alice });
    expect(await txt.text()).toContain('hello world');
    const bad = await call(s, 'GET', `/v1/tasks/${t.id}/transcript?format=docx`, { token: s.tokens.alice });
    expect(bad.status).toBe(400);

    const finished: Json = await json(await call(s, 'GET', `/v1/tasks/${t.id}`, { token: s.tokens.alice }));
    expect(finished).toMatchObject({
      status: 'succeeded',
      stage: 'done',
      progress: { percent: 100, eta_seconds: null },
    });
    expect(finished.finished_at).not.toBeNull();
  });

  it('serves the media with Range support (206, suffix ranges, 416)', async () => {
    const t = await upload(s, 'alice');
    const bytes = Buffer.from(await clip());
    const full = await call(s, 'GET', `/v1/tasks/${t.id}/media`, { token: s.tokens.alice });
    expect(full.status).toBe(200);
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(full.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.compare(Buffer.from(await full.arrayBuffer()), bytes)).toBe(0);

    // Media elements cannot send headers: the query token works here (and only for the owner).
    const viaQuery = await call(s, 'GET', `/v1/tasks/${t.id}/media?access_token=${s.tokens.alice}`);
    expect(viaQuery.status).toBe(200);
    expect((await viaQuery.arrayBuffer()).byteLength).toBe(bytes.length);
    expect((await call(s, 'GET', `/v1/tasks/${t.id}/media?access_token=${s.tokens.bob}`)).status).toBe(404);

    const part = await call(s, 'GET', `/v1/tasks/${t.id}/media`, {
      token: s.tokens.alice,
      headers: { range: 'bytes=100-199' },
    });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${bytes.length}`);
    expect(part.headers.get('content-length')).toBe('100');
    expect(Buffer.compare(Buffer.from(await part.arrayBuffer()), bytes.subarray(100, 200))).toBe(0);

    const tail = await call(s, 'GET', `/v1/tasks/${t.id}/media`, {
      token: s.tokens.alice,
      headers: { range: 'bytes=-10' },
    });
    expect(tail.status).toBe(206);
    expect(Buffer.compare(Buffer.from(await tail.arrayBuffer()), bytes.subarray(-10))).toBe(0);

    const open = await call(s, 'GET', `/v1/tasks/${t.id}/media`, {
      token: s.tokens.alice,
      headers: { range: `bytes=${bytes.length - 5}-` },
    });
    expect(open.status).toBe(206);
    expect((await open.arrayBuffer()).byteLength).toBe(5);

    const beyond = await call(s, 'GET', `/v1/tasks/${t.id}/media`, {
      token: s.tokens.alice,
      headers: { range: `bytes=${bytes.length}-` },
    });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
    expect((await json<Json>(beyond)).error.code).toBe('range_not_satisfiable');
  });

  it('cancel: queued → cancelled; retry re-queues; retry of a queued task is 409 invalid_state', async () => {
    const t = await upload(s, 'alice');
    const notYet = await call(s, 'POST', `/v1/tasks/${t.id}/retry`, { token: s.tokens.alice });
    expect(notYet.status).toBe(409);
    expect((await json<Json>(notYet)).error.code).toBe('invalid_state');

    const cancelled = await call(s, 'POST', `/v1/tasks/${t.id}/cancel`, { token: s.tokens.alice });
    expect(cancelled.status).toBe(200);
    expect((await json<Json>(cancelled)).status).toBe('cancelled');

    const retried = await call(s, 'POST', `/v1/tasks/${t.id}/retry`, { token: s.tokens.alice });
    expect(retried.status).toBe(200);
    expect(await json(retried)).toMatchObject({ status: 'queued', attempts: 0 });
  });

  it('cancel of a running task drops the worker’s lease', async () => {
    const t = await upload(s, 'alice');
    const wid = await work(s.store, t.id, 'claimed');
    const res = await call(s, 'POST', `/v1/tasks/${t.id}/cancel`, { token: s.tokens.alice });
    expect((await json<Json>(res)).status).toBe('cancelled');
    expect(await s.store.heartbeat(t.id, wid, 60_000)).toBe(false);
  });

  it('delete removes the row and the media directory (204), then 404', async () => {
    const t = await upload(s, 'alice');
    const dir = path.join(s.dataDir, 'media', t.id);
    expect((await readdir(dir)).length).toBe(1);
    const res = await call(s, 'DELETE', `/v1/tasks/${t.id}`, { token: s.tokens.alice });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await call(s, 'GET', `/v1/tasks/${t.id}`, { token: s.tokens.alice })).status).toBe(404);
    expect((await call(s, 'DELETE', `/v1/tasks/${t.id}`, { token: s.tokens.alice })).status).toBe(404);
  });
});
