/**
 * Resuming Server-Sent Events against the real service: across a server SIGKILL and restart (the
 * client reconnects with Last-Event-ID to a new process), with an id from the future (another
 * database, a reset), with events already pruned, and with `?last_event_id=` (a fresh EventSource
 * cannot set the header). The rule in every case: a `snapshot` of the current state comes first, so
 * a client can always resync; then exactly the logged events after the id that still exist, in
 * order; then live events. Never a duplicate, never a gap in what the log still holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { longSpeech, synthSpeech } from '../helpers/audio-fixtures.js';
import { EventStream, type Service, type SseEvent, startService } from '../helpers/service/index.js';

let svc: Service;
let recording: string;
let short: string;
const streams: EventStream[] = [];

beforeAll(async () => {
  [recording, short] = await Promise.all([
    longSpeech(0.2).then((l) => l.path),
    synthSpeech('The quick brown fox jumps over the lazy dog.'),
  ]);
  // 3 s chunks and a slowed engine: the 14 s recording takes a few seconds, so a kill lands mid-task.
  // A restarted server's worker may pick the task up at once, so start() does not wait for it to idle.
  svc = await startService({
    env: { EARSHOT_MAX_CHUNK_SECONDS: 3 },
    faults: { delayMs: 500 },
    waitForWorkers: false,
  });
});

afterAll(async () => {
  for (const s of streams.splice(0)) s.close();
  await svc?.stop();
});

async function open(path: string, lastEventId?: number): Promise<EventStream> {
  const s = await EventStream.open(`${svc.url}${path}`, svc.tokens.alice, lastEventId);
  streams.push(s);
  return s;
}

const ids = (events: readonly SseEvent[]) => events.filter((e) => e.id !== null).map((e) => e.id as number);
const isDone = (taskId: string) => (e: SseEvent) =>
  e.event === 'done' && (e.data as { task: { id: string } }).task.id === taskId;

/** The sequence numbers the store's log holds for a task, in order. */
async function loggedSeqs(taskId: string, after = 0): Promise<number[]> {
  return (await svc.readStore((s) => s.readEvents(after, 10_000, { taskId }))).map((e) => e.seq);
}

describe('SSE resume (real processes)', () => {
  it('across a server SIGKILL and restart: Last-Event-ID continues with no gap and no duplicate', async () => {
    const task = await svc.upload(recording);
    const before = await open(`/v1/tasks/${task.id}/events`);
    await before.waitForCount((e) => e.event === 'segment', 2, 60_000);
    await svc.kill('SIGKILL');
    // The connection drops with the server; what the client holds now is all it got.
    await before.waitUntil((_) => (before.isEnded ? true : undefined), 10_000, 'the stream to end');
    const seen = ids(before.events);
    const last = seen.at(-1) as number;

    await svc.restart();
    const after = await open(`/v1/tasks/${task.id}/events`, last);
    await after.waitFor(isDone(task.id), 60_000, 'the done event');
    expect(after.events[0]?.event).toBe('snapshot');
    expect(after.events[0]?.id).toBeNull();
    const resumed = ids(after.events);
    expect(resumed[0]).toBeGreaterThan(last);
    expect(resumed).toEqual([...resumed].sort((a, b) => a - b));
    // Together, the two connections delivered the task's log from the first connection on (it asked for
    // live events only) exactly: each event once, none missing.
    expect([...seen, ...resumed]).toEqual(await loggedSeqs(task.id, (seen[0] as number) - 1));
    const chunks = [...before.events, ...after.events]
      .filter((e) => e.event === 'segment')
      .map((e) => (e.data as { index: number }).index);
    const plan = await svc.readStore((s) => s.getPlan(task.id));
    expect(chunks.sort((a, b) => a - b)).toEqual(plan.chunks.map((c) => c.index));
  });

  it('an id from the future still gets the snapshot and then live events', async () => {
    const latest = await svc.readStore((s) => s.latestEventSeq());
    const stream = await open('/v1/events', latest + 1_000_000);
    await stream.waitFor((e) => e.event === 'snapshot', 10_000, 'the snapshot');
    const task = await svc.upload(short);
    await stream.waitFor(isDone(task.id), 60_000, 'the done event');
    const live = ids(stream.events);
    // Not muted until the log catches up with the bogus id: live events flow, in order.
    expect(live).toEqual(await svc.readStore(async (s) => (await s.readEvents(latest, 1000)).map((e) => e.seq)));
    expect(stream.events[0]?.event).toBe('snapshot');
  });

  it('?last_event_id= replays like the header, and the header wins when both are sent', async () => {
    const task = await svc.upload(short);
    await svc.waitForStatus(task.id, 'succeeded', 60_000);
    const logged = await loggedSeqs(task.id);
    expect(logged.length).toBeGreaterThanOrEqual(4);
    const [first, second] = logged as [number, number];

    const byQuery = await open(`/v1/tasks/${task.id}/events?last_event_id=${first}`);
    await byQuery.waitFor(isDone(task.id), 10_000, 'the replayed done event');
    expect(byQuery.events[0]?.event).toBe('snapshot');
    expect(ids(byQuery.events)).toEqual(logged.slice(1));

    const both = await open(`/v1/tasks/${task.id}/events?last_event_id=${first}`, second);
    await both.waitFor(isDone(task.id), 10_000, 'the replayed done event');
    expect(ids(both.events)).toEqual(logged.slice(2));
  });

  it('events already pruned: the snapshot carries the current state, then only what the log still holds', async () => {
    const task = await svc.upload(short);
    await svc.waitForStatus(task.id, 'succeeded', 60_000);
    const [oldest] = await loggedSeqs(task.id);
    // What the retention pruner does to an old log, here to all of it.
    const removed = await svc.readStore((s) => s.pruneEvents(Date.now() + 1, 0));
    expect(removed).toBeGreaterThan(0);
    expect(await loggedSeqs(task.id)).toEqual([]);

    const stream = await open(`/v1/tasks/${task.id}/events`, oldest);
    await stream.waitFor((e) => e.event === 'snapshot', 10_000, 'the snapshot');
    const snapshot = stream.events[0]?.data as { tasks: Array<{ id: string; status: string }> };
    // The missed events cannot be replayed; the snapshot is how the client learns the task finished.
    expect(snapshot.tasks).toEqual([expect.objectContaining({ id: task.id, status: 'succeeded' })]);
    // And the stream is live: the next event of the task comes through, with a fresh (never reused) id.
    const del = await svc.request(`/v1/tasks/${task.id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    const deleted = await stream.waitFor((e) => e.event === 'deleted', 10_000, 'the deleted event');
    expect(deleted.id as number).toBeGreaterThan(oldest as number);
    expect(stream.events.map((e) => e.event)).toEqual(['snapshot', 'deleted']);
  });
});
