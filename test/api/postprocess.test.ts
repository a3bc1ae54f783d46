import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TaskOptions } from '../../src/core/task.js';
import type { NewTask } from '../../src/store/task.store.js';
import { FakeLlm, polishText } from '../helpers/fake-llm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { call, type Json, json, SseClient, TRANSCRIPT, until, upload, work } from './support.js';

/**
 * Summary and polish through the API, run by the server's post-processing runner against a
 * loopback chat-completions server with a deterministic fake model. They verify the protocol, the
 * lifecycle and the API, not a real model's output.
 */

const finishedTask = (userId: string, options: Partial<TaskOptions>): NewTask => ({
  id: randomUUID(),
  userId,
  priority: 0,
  sourceName: 'meeting.wav',
  mediaPath: '/nonexistent/meeting.wav',
  mediaBytes: 1,
  options: { language: 'en', formats: ['json'], ...options },
  callbackUrl: null,
  maxAttempts: 3,
  durationSeconds: null,
});

describe('post-processing API', () => {
  let fake: FakeLlm;
  let s: TestServer;
  beforeAll(async () => {
    fake = await FakeLlm.start();
    s = await startServer({
      config: {
        llmBaseUrl: fake.url,
        llmModel: 'fake-model',
        llmRetries: 1,
        llmRetryBaseMs: 10,
        llmTimeoutMs: 10_000, // never reached on a loaded machine: no test here is about the timeout
        shutdownGraceMs: 500,
      },
      tuning: { llmPollMs: 50 },
    });
  });
  afterAll(async () => {
    await s.close();
    await fake.close();
  });
  beforeEach(() => {
    fake.faults = [];
    fake.always = null;
  });

  const get = async (path: string, user = 'alice'): Promise<{ status: number; body: Json }> => {
    const res = await call(s, 'GET', path, { token: s.tokens[user] });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const settled = (taskId: string, kind: 'summary' | 'polish') =>
    until(async () => {
      const { body } = await get(`/v1/tasks/${taskId}/${kind}`);
      return body.status === 'succeeded' || body.status === 'failed' ? body : null;
    });

  it('summary and polish asked at upload run once the transcript is done; the polished one renders in every format', async () => {
    const created = await upload(s, 'alice', { summary: 'true', polish: '1' });
    expect(created.options).toMatchObject({ summary: true, polish: true });
    expect((await get(`/v1/tasks/${created.id}/summary`)).status).toBe(404);
    await work(s.store, created.id);

    const summary = await settled(created.id, 'summary');
    expect(summary).toMatchObject({
      task_id: created.id,
      kind: 'summary',
      status: 'succeeded',
      stage: 'done',
      progress: { done_windows: 1, total_windows: 1, percent: 100 },
      attempts: 1,
      error: null,
      result: { summary: '4 words from hello to chunk', key_points: ['starts with hello'], model: 'fake-model' },
    });
    const polishView = await settled(created.id, 'polish');
    expect(polishView).toMatchObject({ status: 'succeeded', result: null });

    const polished = await get(`/v1/tasks/${created.id}/transcript?variant=polished`);
    expect(polished.body.segments.map((seg: Json) => [seg.start, seg.end, seg.text])).toEqual(
      TRANSCRIPT.segments.map((seg) => [seg.start, seg.end, polishText(seg.text)]),
    );
    expect(polished.body.text).toBe('Hello world. Second chunk.');
    // The machine transcript is the default and untouched.
    expect((await get(`/v1/tasks/${created.id}/transcript`)).body).toEqual(TRANSCRIPT);
    const srt = await call(s, 'GET', `/v1/tasks/${created.id}/transcript?variant=polished&format=srt&download=1`, {
      token: s.tokens.alice,
    });
    expect(srt.headers.get('content-disposition')).toContain('clip.polished.srt');
    const srtText = await srt.text();
    expect(srtText).toContain('00:00:00,000 --> 00:00:01,200\nHello world.');
    expect(srtText).toContain('Second chunk.');
    const txt = await call(s, 'GET', `/v1/tasks/${created.id}/transcript?variant=polished&format=txt`, {
      token: s.tokens.alice,
    });
    expect(await txt.text()).toContain('Hello world.');
    // The task itself never changed.
    expect((await get(`/v1/tasks/${created.id}`)).body).toMatchObject({ status: 'succeeded' });
    // Bob sees none of it.
    expect((await get(`/v1/tasks/${created.id}/summary`, 'bob')).status).toBe(404);
    expect((await get(`/v1/tasks/${created.id}/transcript?variant=polished`, 'bob')).status).toBe(404);
  });

  it('a failing LLM fails the summary with a clear error, never the task; asking again runs it again', async () => {
    fake.always = { kind: 'status', status: 500 };
    const seen = fake.requests.length;
    const task = await s.store.addFinished(finishedTask(s.users.alice?.id ?? '', { summary: true }), TRANSCRIPT);
    const failed = await settled(task.id, 'summary');
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'llm_unavailable' } });
    expect(failed.error.message).toContain('HTTP 500');
    // One call and its retry.
    expect(fake.requests.length - seen).toBe(2);
    expect((await get(`/v1/tasks/${task.id}`)).body).toMatchObject({ status: 'succeeded', error: null });
    expect((await get(`/v1/tasks/${task.id}/transcript`)).body).toEqual(TRANSCRIPT);

    fake.always = null;
    const again = await call(s, 'POST', `/v1/tasks/${task.id}/summary`, { token: s.tokens.alice });
    expect(again.status).toBe(202);
    expect(await json(again)).toMatchObject({ status: 'queued', attempts: 0, error: null, result: null });
    expect(await settled(task.id, 'summary')).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('asks on demand for a finished task; refuses unfinished, foreign and unrequested ones', async () => {
    const task = await s.store.addFinished(finishedTask(s.users.alice?.id ?? '', {}), TRANSCRIPT);
    expect((await get(`/v1/tasks/${task.id}/polish`)).status).toBe(404);
    const polishMissing = await get(`/v1/tasks/${task.id}/transcript?variant=polished`);
    expect(polishMissing.status).toBe(404);
    const bob = await call(s, 'POST', `/v1/tasks/${task.id}/polish`, { token: s.tokens.bob });
    expect(bob.status).toBe(404);
    const res = await call(s, 'POST', `/v1/tasks/${task.id}/polish`, { token: s.tokens.alice });
    expect(res.status).toBe(202);
    expect(await json(res)).toMatchObject({ task_id: task.id, kind: 'polish', status: 'queued', stage: 'waiting' });
    expect(await settled(task.id, 'polish')).toMatchObject({ status: 'succeeded' });
    expect((await get(`/v1/tasks/${task.id}/transcript?variant=polished`)).body.text).toBe(
      'Hello world. Second chunk.',
    );

    const queued = await upload(s, 'alice');
    const early = await call(s, 'POST', `/v1/tasks/${queued.id}/summary`, { token: s.tokens.alice });
    expect(early.status).toBe(409);
    expect(await json(early)).toMatchObject({ error: { code: 'not_ready' } });
    await call(s, 'DELETE', `/v1/tasks/${queued.id}`, { token: s.tokens.alice });
  });

  it('a polish asked for again after an edit is made from the edited transcript', async () => {
    const task = await s.store.addFinished(finishedTask(s.users.alice?.id ?? '', { polish: true }), TRANSCRIPT);
    expect(await settled(task.id, 'polish')).toMatchObject({ status: 'succeeded', revision: 0 });
    const calls = fake.requests.length;
    // Nothing was edited: asking again changes nothing and calls no model.
    const same = await call(s, 'POST', `/v1/tasks/${task.id}/polish`, { token: s.tokens.alice });
    expect(await json(same)).toMatchObject({ status: 'succeeded', revision: 0 });
    const edit = await call(s, 'PATCH', `/v1/tasks/${task.id}/transcript`, {
      token: s.tokens.alice,
      headers: { 'if-match': '"r0"' },
      body: { operations: [{ op: 'replace_text', segment: 1, text: 'third part' }] },
    });
    expect(edit.status).toBe(200);
    const again = await call(s, 'POST', `/v1/tasks/${task.id}/polish`, { token: s.tokens.alice });
    expect(again.status).toBe(202);
    expect(await json(again)).toMatchObject({ status: 'queued', attempts: 0, revision: 0 });
    expect(await settled(task.id, 'polish')).toMatchObject({ status: 'succeeded', revision: 1 });
    expect(fake.requests.length).toBeGreaterThan(calls);
    const polished = await get(`/v1/tasks/${task.id}/transcript?variant=polished`);
    expect(polished.body.text).toBe('Hello world. Third part.');
  });

  it("streams the artifact's changes as `artifact` events on the task's SSE stream", async () => {
    const task = await s.store.addFinished(finishedTask(s.users.alice?.id ?? '', {}), TRANSCRIPT);
    const sse = await SseClient.open(`${s.url}/v1/tasks/${task.id}/events`, {
      authorization: `Bearer ${s.tokens.alice}`,
    });
    try {
      await sse.waitFor((m) => m.some((e) => e.event === 'snapshot'));
      await call(s, 'POST', `/v1/tasks/${task.id}/polish`, { token: s.tokens.alice });
      const messages = await sse.waitFor((m) =>
        m.some((e) => e.event === 'artifact' && (e.data as Json).status === 'succeeded'),
      );
      const statuses = messages.filter((e) => e.event === 'artifact').map((e) => (e.data as Json).status);
      expect(statuses[0]).toBe('queued');
      expect(statuses).toContain('running');
      expect(messages.find((e) => e.event === 'artifact' && (e.data as Json).status === 'succeeded')?.data).toEqual({
        task_id: task.id,
        kind: 'polish',
        status: 'succeeded',
        stage: 'done',
        progress: { done_windows: 1, total_windows: 1 },
        attempts: 1,
        error: null,
        revision: 0,
      });
    } finally {
      await sse.close();
    }
  });

  it('capabilities offer summary and polish', async () => {
    expect((await get('/v1/capabilities')).body.postprocessing).toEqual(['summary', 'polish']);
  });

  it('deleting the task deletes its artifacts', async () => {
    const task = await s.store.addFinished(finishedTask(s.users.alice?.id ?? '', { summary: true }), TRANSCRIPT);
    await settled(task.id, 'summary');
    expect((await call(s, 'DELETE', `/v1/tasks/${task.id}`, { token: s.tokens.alice })).status).toBe(204);
    expect(await s.store.getArtifact(task.id, 'summary')).toBeNull();
    expect((await get(`/v1/tasks/${task.id}/summary`)).status).toBe(404);
  });

  it('refuses a summary field that is not a boolean', async () => {
    const res = await call(s, 'POST', '/v1/tasks', {
      token: s.tokens.alice,
      body: (() => {
        const fd = new FormData();
        fd.append('summary', 'maybe');
        fd.append('file', new Blob([new Uint8Array(10)]), 'x.wav');
        return fd;
      })(),
    });
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ error: { code: 'invalid_request' } });
  });
});

describe('post-processing: recovery', () => {
  it('an artifact whose server died mid-run is reclaimed after its lease and run again', async () => {
    const fake = await FakeLlm.start();
    let taskId = '';
    const s = await startServer({
      config: { llmBaseUrl: fake.url, leaseMs: 1000, retryDelaysMs: [50], llmRetryBaseMs: 10, shutdownGraceMs: 500 },
      tuning: { llmPollMs: 50 },
      prepare: async (store, users) => {
        const task = await store.addFinished(finishedTask(users.alice?.id ?? '', { summary: true }), TRANSCRIPT);
        taskId = task.id;
        // A server that claimed it, then died.
        expect(await store.claimArtifact('dead-server', 1000, 10)).toMatchObject({ status: 'running' });
      },
    });
    try {
      const view = await until(async () => {
        const res = await call(s, 'GET', `/v1/tasks/${taskId}/summary`, { token: s.tokens.alice });
        const body = (await res.json()) as Json;
        return body.status === 'succeeded' ? body : null;
      });
      expect(view).toMatchObject({ attempts: 2, result: { summary: '4 words from hello to chunk' } });
      expect(fake.requests).toHaveLength(1);
    } finally {
      await s.close();
      await fake.close();
    }
  });
});

describe('post-processing: shutdown', () => {
  it('a run still waiting on the LLM when the server stops is given back without counting the attempt', async () => {
    const fake = await FakeLlm.start();
    fake.always = { kind: 'hang' };
    const s = await startServer({
      config: { llmBaseUrl: fake.url, llmTimeoutMs: 60_000, shutdownGraceMs: 200 },
      tuning: { llmPollMs: 50 },
    });
    try {
      const task = await s.store.addFinished(finishedTask(s.users.alice?.id ?? '', { summary: true }), TRANSCRIPT);
      await until(() => fake.requests.length === 1);
      expect(await s.store.getArtifact(task.id, 'summary')).toMatchObject({ status: 'running', attempts: 1 });
      await s.app.close();
      expect(await s.store.getArtifact(task.id, 'summary')).toMatchObject({
        status: 'queued',
        attempts: 0,
        leaseOwner: null,
        errorCode: null,
      });
    } finally {
      await s.close();
      await fake.close();
    }
  });
});

describe('post-processing off (no EARSHOT_LLM_BASE_URL)', () => {
  let fake: FakeLlm;
  let s: TestServer;
  beforeAll(async () => {
    fake = await FakeLlm.start();
    s = await startServer();
  });
  afterAll(async () => {
    await s.close();
    await fake.close();
  });

  it('refuses summary and polish with 422 llm_not_configured and sends nothing anywhere', async () => {
    for (const field of ['summary', 'polish']) {
      const res = await call(s, 'POST', '/v1/tasks', {
        token: s.tokens.alice,
        body: (() => {
          const fd = new FormData();
          fd.append(field, 'true');
          fd.append('file', new Blob([new Uint8Array(10)]), 'x.wav');
          return fd;
        })(),
      });
      expect(res.status).toBe(422);
      expect(await json(res)).toMatchObject({ error: { code: 'llm_not_configured' } });
    }
    const viaJson = await call(s, 'POST', '/v1/tasks', {
      token: s.tokens.alice,
      body: { url: 'http://example.invalid/a.wav', summary: true },
    });
    expect(viaJson.status).toBe(422);
    const task = await s.store.addFinished(finishedTask(s.users.alice?.id ?? '', { summary: true }), TRANSCRIPT);
    const later = await call(s, 'POST', `/v1/tasks/${task.id}/polish`, { token: s.tokens.alice });
    expect(later.status).toBe(422);
    expect(await json(later)).toMatchObject({ error: { code: 'llm_not_configured' } });
    // A queued artifact (options stored before the LLM was switched off) only waits.
    const summary = await call(s, 'GET', `/v1/tasks/${task.id}/summary`, { token: s.tokens.alice });
    expect(await json(summary)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(fake.requests).toHaveLength(0);
  });
});
