import { afterEach, describe, expect, it } from 'vitest';
import type { SupervisorView } from '../../src/worker/supervisor.types.js';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  type SseClient as Client,
  call,
  clip,
  form,
  type Json,
  json,
  SseClient,
  TRANSCRIPT,
  until,
  upload,
  work,
} from './support.js';

let s: TestServer;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await s?.close();
});

async function sse(path: string, token: string | null, headers: Record<string, string> = {}): Promise<Client> {
  const c = await SseClient.open(`${s.url}${path}`, token ? { authorization: `Bearer ${token}`, ...headers } : headers);
  clients.push(c);
  return c;
}

const events = (c: Client) => c.messages.map((m) => m.event);

describe('server-sent events', () => {
  it('task stream: snapshot first, then progress, segment, done in order with increasing ids', async () => {
    s = await startServer();
    const t = await upload(s, 'alice');
    const c = await sse(`/v1/tasks/${t.id}/events`, s.tokens.alice);
    await c.waitFor((m) => m.length >= 1);
    expect(c.messages[0]).toMatchObject({ event: 'snapshot', data: { tasks: [{ id: t.id, status: 'queued' }] } });
    expect(c.messages[0]?.id).toBeUndefined();

    await work(s.store, t.id);
    await c.waitFor((m) => m.some((x) => x.event === 'done'));
    expect(events(c)).toEqual(['snapshot', 'progress', 'progress', 'segment', 'segment', 'done']);
    const ids = c.messages.slice(1).map((m) => Number(m.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    const seg = c.messages[3]?.data as Json;
    expect(seg).toMatchObject({ task_id: t.id, index: 0, segments: [{ text: 'hello world' }] });
    expect((c.messages[5]?.data as Json | undefined)?.task).toMatchObject({
      id: t.id,
      status: 'succeeded',
      progress: { percent: 100 },
    });
  });

  it('the all-tasks stream filters by user; admins see everyone; cancel and delete arrive', async () => {
    s = await startServer();
    const alice = await sse('/v1/events', s.tokens.alice);
    const bob = await sse('/v1/events', s.tokens.bob);
    const root = await sse('/v1/events', s.tokens.root);
    await Promise.all([alice, bob, root].map((c) => c.waitFor((m) => m[0]?.event === 'snapshot')));
    const a = await upload(s, 'alice');
    const b = await upload(s, 'bob');
    await call(s, 'POST', `/v1/tasks/${a.id}/cancel`, { token: s.tokens.alice });
    await call(s, 'DELETE', `/v1/tasks/${a.id}`, { token: s.tokens.alice });
    await alice.waitFor((m) => m.some((x) => x.event === 'deleted'));
    await root.waitFor(
      (m) => m.some((x) => x.event === 'deleted') && m.filter((x) => x.event === 'progress').length >= 2,
    );
    await bob.waitFor((m) => m.some((x) => x.event === 'progress'));
    expect(events(alice)).toEqual(['snapshot', 'progress', 'cancelled', 'deleted']);
    expect(alice.messages.slice(1).every((m) => JSON.stringify(m.data).includes(a.id))).toBe(true);
    expect(alice.messages[2]?.data as Json).toEqual({ task_id: a.id });
    expect(bob.messages.some((m) => JSON.stringify(m.data).includes(a.id))).toBe(false);
    expect(JSON.stringify(root.messages)).toContain(b.id);
  });

  it("a rename streams the task's new view to its owner (other tabs follow), not to other users", async () => {
    s = await startServer();
    const alice = await sse('/v1/events', s.tokens.alice);
    const bob = await sse('/v1/events', s.tokens.bob);
    await Promise.all([alice, bob].map((c) => c.waitFor((m) => m[0]?.event === 'snapshot')));
    const a = await upload(s, 'alice');
    await alice.waitFor((m) => m.some((x) => x.event === 'progress'));
    const renamed = await call(s, 'PATCH', `/v1/tasks/${a.id}`, {
      token: s.tokens.alice,
      body: { title: 'Board meeting' },
    });
    expect(renamed.status).toBe(200);
    const titleOf = (m: { event: string; data: unknown }) => (m.data as Json)?.task?.title;
    await alice.waitFor((m) => m.some((x) => x.event === 'progress' && titleOf(x) === 'Board meeting'));
    expect(bob.messages.some((m) => JSON.stringify(m.data).includes(a.id))).toBe(false);
  });

  it('snapshot of the all-tasks stream lists queued and processing tasks', async () => {
    s = await startServer();
    const t1 = await upload(s, 'alice');
    const t2 = await upload(s, 'alice');
    await work(s.store, t1.id, 'claimed');
    const c = await sse('/v1/events', s.tokens.alice);
    await c.waitFor((m) => m.length >= 1);
    const tasks = ((c.messages[0]?.data as Json | undefined)?.tasks ?? []) as Json[];
    expect(tasks.map((t) => [t.id, t.status])).toEqual([
      [t1.id, 'processing'],
      [t2.id, 'queued'],
    ]);
  });

  it('resumes with Last-Event-ID: replays what was missed, then live, without gaps or duplicates', async () => {
    s = await startServer();
    const t = await upload(s, 'alice');
    const first = await sse(`/v1/tasks/${t.id}/events`, s.tokens.alice);
    const wid = await work(s.store, t.id, 'chunk0');
    await first.waitFor((m) => m.some((x) => x.event === 'segment'));
    const seenIds = first.messages.filter((m) => m.id).map((m) => Number(m.id));
    const cut = seenIds[0] as number; // pretend the connection dropped right after the first event
    await first.close();

    // While disconnected: more transitions happen.
    await s.store.checkpointChunk(t.id, wid, {
      index: 1,
      startSample: 24_000,
      endSample: 47_840,
      segments: TRANSCRIPT.segments.slice(1),
      attempt: 1,
    });
    const resumed = await sse(`/v1/tasks/${t.id}/events`, s.tokens.alice, { 'last-event-id': String(cut) });
    await resumed.waitFor((m) => m.filter((x) => x.event === 'segment').length >= 2);
    // And live again after the replay.
    await s.store.complete(t.id, wid, TRANSCRIPT);
    await resumed.waitFor((m) => m.some((x) => x.event === 'done'));
    const ids = resumed.messages.filter((m) => m.id).map((m) => Number(m.id));
    expect(resumed.messages[0]?.event).toBe('snapshot');
    expect(ids[0]).toBeGreaterThan(cut);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    // Exactly the events after `cut`: what the first stream saw after it, the second chunk, done.
    const all = await s.store.readEvents(cut, 100, { taskId: t.id });
    expect(ids).toEqual(all.map((e) => e.seq));
    expect(events(resumed).slice(1)).toEqual(['progress', 'segment', 'segment', 'done']);
  });

  it('accepts ?access_token= on SSE routes only, and sends heartbeats', async () => {
    s = await startServer({ config: { sseHeartbeatMs: 100 } });
    const t = await upload(s, 'alice');
    const viaQuery = await sse(`/v1/tasks/${t.id}/events?access_token=${s.tokens.alice}`, null);
    expect(viaQuery.status).toBe(200);
    await viaQuery.waitFor(() => viaQuery.comments >= 2);
    const bad = await sse(`/v1/events?access_token=nope`, null);
    expect(bad.status).toBe(401);
    const foreign = await sse(`/v1/tasks/${t.id}/events?access_token=${s.tokens.bob}`, null);
    expect(foreign.status).toBe(404);
  });

  it('answers 503 beyond maxSseClients and frees slots when clients leave', async () => {
    s = await startServer({ config: { maxSseClients: 2 } });
    const a = await sse('/v1/events', s.tokens.alice);
    await sse('/v1/events', s.tokens.alice);
    const third = await sse('/v1/events', s.tokens.alice);
    expect(third.status).toBe(503);
    expect(JSON.parse(third.messages[0]?.data as string).error.code).toBe('unavailable');
    await a.close();
    // The server notices the closed socket and removes the subscriber.
    const again = await until(async () => {
      const c = await sse('/v1/events', s.tokens.alice);
      return c.status === 200 ? c : null;
    });
    expect(again.status).toBe(200);
  });

  it('app.close() ends open streams instead of hanging', async () => {
    s = await startServer();
    const c1 = await sse('/v1/events', s.tokens.alice);
    const c2 = await sse('/v1/events', s.tokens.root);
    await Promise.all([c1, c2].map((c) => c.waitFor((m) => m.length >= 1)));
    // The clients never hang up by themselves: close() returns only if it ends their streams.
    await s.close();
    await c1.waitEnd();
    await c2.waitEnd();
  });
});

describe('?wait=true', () => {
  it('returns 200 {task, transcript} once a worker finishes the task', async () => {
    s = await startServer();
    const pending = call(s, 'POST', '/v1/tasks?wait=true', {
      token: s.tokens.alice,
      body: form(await clip(), 'sync.wav'),
    });
    // Act as the worker as soon as the task is queued.
    const queued = await until(async () => (await s.store.list({ admin: true }, { limit: 1, offset: 0 })).tasks[0]);
    await work(s.store, queued.id);
    const res = await pending;
    expect(res.status).toBe(200);
    const body: Json = await json(res);
    expect(body.task).toMatchObject({ id: queued.id, status: 'succeeded' });
    expect(body.transcript).toMatchObject({
      text: TRANSCRIPT.text,
      segments: [{ text: 'hello world' }, { text: 'second chunk' }],
    });
  });

  it('answers as soon as the supervisor reports a worker ended the task, without waiting for a poll', async () => {
    // Polls so rare that the test could not pass by them: only a nudge makes the hub read the log.
    let tasksChanged: (() => void) | null = null;
    const supervisor: SupervisorView = {
      paused: false,
      restartCount: 0,
      workers: () => [],
      pause: () => undefined,
      resume: () => undefined,
      onTasksChanged: (listener) => {
        tasksChanged = listener;
      },
    };
    s = await startServer({ supervisor, tuning: { eventPollMs: 600_000 } });
    expect(tasksChanged).not.toBeNull();
    const watcher = await sse('/v1/events', s.tokens.alice);
    const pending = call(s, 'POST', '/v1/tasks?wait=true', {
      token: s.tokens.alice,
      body: form(await clip(), 'sync.wav'),
    });
    const queued = await until(async () => (await s.store.list({ admin: true }, { limit: 1, offset: 0 })).tasks[0]);
    // The create's own nudge has been read (the stream saw the task): the hub is idle again.
    await watcher.waitFor((m) => m.some((x) => JSON.stringify(x.data).includes(queued.id)));
    await work(s.store, queued.id);
    (tasksChanged as unknown as () => void)();
    const res = await pending;
    expect(res.status).toBe(200);
    expect((await json<Json>(res)).task).toMatchObject({ id: queued.id, status: 'succeeded' });
  });

  it('falls back to 202 when the task does not finish in time, or is too large to wait for', async () => {
    s = await startServer({ tuning: { syncWaitTimeoutMs: 300 } });
    const slow = await call(s, 'POST', '/v1/tasks?wait=true', {
      token: s.tokens.alice,
      body: form(await clip(), 'a.wav'),
    });
    expect(slow.status).toBe(202);
    expect((await json<Json>(slow)).status).toBe('queued');
    await s.close();

    // A wait past the test's timeout: the answer can only come in time if the server does not wait.
    s = await startServer({ config: { syncMaxSeconds: 1 }, tuning: { syncWaitTimeoutMs: 600_000 } });
    const big = await call(s, 'POST', '/v1/tasks?wait=1', { token: s.tokens.alice, body: form(await clip(), 'a.wav') });
    expect(big.status).toBe(202);
  });

  it('returns 200 with the failed task and no transcript when it fails', async () => {
    s = await startServer();
    const pending = call(s, 'POST', '/v1/tasks?wait=true', {
      token: s.tokens.alice,
      body: form(await clip(), 'sync.wav'),
    });
    const queued = await until(async () => (await s.store.list({ admin: true }, { limit: 1, offset: 0 })).tasks[0]);
    const wid = await work(s.store, queued.id, 'claimed');
    await s.store.fail(queued.id, wid, { code: 'bad_audio', message: 'nope', retryable: false });
    const body: Json = await json(await pending);
    expect(body.transcript).toBeNull();
    expect(body.task).toMatchObject({ status: 'failed', error: { code: 'bad_audio', message: 'nope' } });
  });
});
