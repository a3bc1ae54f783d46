/**
 * Following a running task on the real service (separate processes, PocketSphinx on real speech):
 * the partial transcript only ever grows, SSE `segment` events carry exactly the final transcript,
 * and a cancelled task stops its worker, leaves no checkpoints behind and lets the next queued task
 * run. Every read is made after the event it depends on, never after a delay.
 */

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fullText, type Segment } from '../../src/core/transcript.js';
import type { FaultConfig } from '../../src/engines/faulty/faulty.engine.js';
import { type LongSpeech, longSpeech, synthSpeech } from '../helpers/audio-fixtures.js';
import {
  type Service,
  type SseEvent,
  startService,
  type TaskView,
  type TranscriptJson,
} from '../helpers/service/index.js';

const CHUNK_SECONDS = 5;
const CONCURRENCY = 2;
const ADMIN = { admin: true } as const;

let recording: LongSpeech;
let short: string;
const services: Service[] = [];

async function service(faults?: FaultConfig): Promise<Service> {
  const svc = await startService({
    // One task at a time, so engine calls are numbered by the running task alone (stallOn).
    env: { EARSHOT_MAX_CHUNK_SECONDS: CHUNK_SECONDS, EARSHOT_CONCURRENCY: CONCURRENCY, EARSHOT_WORKER_TASKS: 1 },
    ...(faults ? { faults } : {}),
  });
  services.push(svc);
  return svc;
}

interface SegmentEvent {
  task_id: string;
  index: number;
  segments: Segment[];
}
const isSegment = (e: SseEvent) => e.event === 'segment';
const segmentData = (e: SseEvent) => e.data as SegmentEvent;
/** The segments of the chunks 0..n-1 that have all arrived, n as large as possible, in order. */
function contiguousPrefix(events: readonly SseEvent[]): Segment[] {
  const byIndex = new Map(events.filter(isSegment).map((e) => [segmentData(e).index, segmentData(e).segments]));
  const out: Segment[] = [];
  for (let i = 0; byIndex.has(i); i++) out.push(...(byIndex.get(i) as Segment[]));
  return out;
}
const shape = (segments: readonly Segment[]) =>
  segments.map(({ start, end, text, words }) => ({
    start,
    end,
    text,
    words: words.map(({ word, start, end }) => ({ word, start, end })),
  }));

beforeAll(async () => {
  recording = await longSpeech(0.5);
  short = await synthSpeech('The quick brown fox jumps over the lazy dog.');
});

afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
});

describe('following a running task (real processes)', () => {
  it('the partial transcript grows as a prefix and SSE segment events add up to the final transcript', async () => {
    const svc = await service();
    const task = await svc.upload(recording.path);
    const events = await svc.taskEvents(task.id);

    // After each new segment event (and after done), read the partial transcript. Each read must hold
    // at least the chunks whose events came before it: an event is sent once its checkpoint is stored.
    const partials: TranscriptJson[] = [];
    let final: TranscriptJson | null = null;
    let segmentsSeen = 0;
    while (final === null) {
      const seen = await events.waitUntil(
        (es) => (es.filter(isSegment).length > segmentsSeen || es.some((e) => e.event === 'done') ? es : undefined),
        90_000,
        'the next segment or done',
      );
      segmentsSeen = seen.filter(isSegment).length;
      const expectedPrefix = contiguousPrefix(seen);
      const t = await svc.transcript(task.id, { partial: true });
      expect(shape(t.segments.slice(0, expectedPrefix.length))).toEqual(shape(expectedPrefix));
      if (t.partial === true) partials.push(t);
      else final = t;
    }
    expect((await svc.task(task.id)).status).toBe('succeeded');
    expect(await svc.transcript(task.id)).toEqual(final);

    // Each response extends the previous one; the last partial is a prefix of the final transcript.
    for (const [i, p] of partials.entries()) {
      const next = partials[i + 1] ?? final;
      expect(next.segments.length).toBeGreaterThanOrEqual(p.segments.length);
      expect(next.segments.slice(0, p.segments.length)).toEqual(p.segments);
      expect(p.text).toBe(fullText(p.segments));
    }
    expect(final.segments.length).toBeGreaterThanOrEqual(6);

    // SSE: one segment event per chunk, together exactly the final transcript.
    const segs = events.ofType('segment').map(segmentData);
    expect(segs.every((s) => s.task_id === task.id)).toBe(true);
    const indexes = segs.map((s) => s.index);
    expect(new Set(indexes).size).toBe(indexes.length);
    const inOrder = [...segs].sort((a, b) => a.index - b.index);
    expect(inOrder.map((s) => s.index)).toEqual(inOrder.map((_, i) => i));
    expect(shape(inOrder.flatMap((s) => s.segments))).toEqual(shape(final.segments));

    // Chunks finish out of order (parallel engines), but each arrives once and the contiguous
    // prefix only grows until it covers every chunk.
    const arrived = new Set<number>();
    let prefix = 0;
    for (const index of indexes) {
      arrived.add(index);
      const before = prefix;
      while (arrived.has(prefix)) prefix++;
      expect(prefix).toBeGreaterThanOrEqual(before);
    }
    expect(prefix).toBe(indexes.length);

    // The stream ends the task with `done` after the last segment, and progress never went backwards.
    // (The transcript can read as final before the hub has sent `done`: wait for it.)
    await events.waitUntil((es) => (es.some((e) => e.event === 'done') ? es : undefined), 90_000, 'done');
    const types = events.events.map((e) => e.event);
    expect(types.lastIndexOf('done')).toBeGreaterThan(types.lastIndexOf('segment'));
    const done = events.ofType('progress').map((e) => (e.data as { task: TaskView }).task.progress.done_seconds);
    for (let i = 1; i < done.length; i++) expect(done[i]).toBeGreaterThanOrEqual(done[i - 1] as number);
    events.close();
  });

  it('cancelling a running task stops its worker, drops its checkpoints and runs the next task', async () => {
    // Engine calls 1 and 2 (chunks 0 and 1) are answered; calls 3 and 4 (the next two chunks, at
    // concurrency 2) hang until aborted, so the task is mid-run for as long as the test needs.
    // The next task's calls (5 on) are answered again.
    const svc = await service({ stallOn: [3, 4] });
    const running = await svc.upload(recording.path);
    const next = await svc.upload(short);
    const events = await svc.taskEvents(running.id);
    const firstTwo = await events.waitForCount(isSegment, 2, 60_000);
    const [worker] = await svc.workers();
    expect(worker?.task_id).toBe(running.id);
    const before = await svc.readStore((s) => s.getPlan(running.id));
    expect(before.chunks.filter((c) => c.checkpoint !== null).map((c) => c.index)).toEqual([0, 1]);
    // Mid-run, the partial transcript is exactly what the first two chunks gave.
    const midway = await svc.transcript(running.id, { partial: true });
    expect(midway.partial).toBe(true);
    expect(shape(midway.segments)).toEqual(shape(contiguousPrefix(firstTwo)));
    expect(midway.segments.length).toBeGreaterThan(0);

    const cancelled = await svc.json<TaskView>(`/v1/tasks/${running.id}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe('cancelled');
    await events.waitFor((e) => e.event === 'cancelled', 60_000, 'the cancelled event');
    // The worker notices at its next heartbeat and aborts the task: the hanging calls end only
    // that way. Idle, or already on the next task; either way no longer on the cancelled one.
    await svc.waitForWorkers(([w]) => w !== undefined && (w.task_id === null || w.task_id === next.id));
    expect(svc.logRecords((r) => r.taskId === running.id && /lease lost/.test(String(r.msg)))).not.toHaveLength(0);

    const done = await svc.waitForStatus(next.id, 'succeeded');
    expect(done.attempts).toBe(1);
    expect((await svc.transcript(next.id)).text).toMatch(/fox/);

    // The cancelled task stayed cancelled: no checkpoints and nothing written after the cancel.
    const after = await svc.readStore(async (s) => ({
      task: await s.get(running.id, ADMIN),
      plan: await s.getPlan(running.id),
      log: await s.readEvents(0, 10_000, { taskId: running.id }),
    }));
    expect(after.task?.status).toBe('cancelled');
    expect(after.plan).toEqual({ complete: false, chunks: [] });
    expect(after.log.at(-1)?.type).toBe('cancelled');
    expect((await svc.task(running.id)).status).toBe('cancelled');
    const partial = await svc.transcript(running.id, { partial: true });
    expect(partial.segments).toEqual([]);
    events.close();
  });
});
