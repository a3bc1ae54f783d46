/**
 * A worker runs several tasks at once on one engine pool (EARSHOT_WORKER_TASKS): one-chunk tasks
 * fill every engine, a long recording and a stream of short ones both progress, and a worker that
 * dies holding several tasks loses none of them. Real processes, PocketSphinx on flite speech; the
 * fault wrapper hangs chosen engine calls so the states are observed, not timed.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Segment, Transcript } from '../../src/core/transcript.js';
import { type FaultConfig, STALL_MSG } from '../../src/engines/faulty/faulty.engine.js';
import type { StoredPlan } from '../../src/store/task.store.js';
import { type LongSpeech, longSpeech, synthSpeech } from '../helpers/audio-fixtures.js';
import { runCli } from '../helpers/cli.js';
import { type Service, type SseEvent, startService, waitForExit } from '../helpers/service/index.js';

/** 5 s chunks turn the 31 s recording into 8 chunks. */
const CHUNK_SECONDS = 5;
const ENGINES = 2;

let recording: LongSpeech;
let short: string;
let reference: Transcript;
const services: Service[] = [];

async function service(faults?: FaultConfig, env: Record<string, string | number> = {}): Promise<Service> {
  const svc = await startService({
    env: { EARSHOT_MAX_CHUNK_SECONDS: CHUNK_SECONDS, EARSHOT_CONCURRENCY: ENGINES, ...env },
    ...(faults ? { faults } : {}),
  });
  services.push(svc);
  return svc;
}

const isSegment = (e: SseEvent) => e.event === 'segment';
const isStall = (r: Record<string, unknown>) => r.msg === STALL_MSG;
const shape = (segments: readonly Segment[]) => segments.map(({ start, end, text }) => ({ start, end, text }));
const checkpointed = (plan: StoredPlan) => plan.chunks.filter((c) => c.checkpoint !== null).map((c) => c.index);

beforeAll(async () => {
  recording = await longSpeech(0.5);
  short = await synthSpeech('The quick brown fox jumps over the lazy dog.');
  const cli = await runCli(
    ['transcribe', recording.path, '-f', 'json', '-o', '-', '--max-chunk-seconds', String(CHUNK_SECONDS)],
    { EARSHOT_LOG_LEVEL: 'error', EARSHOT_CONCURRENCY: ENGINES },
  );
  expect(cli.code, cli.stderr).toBe(0);
  reference = JSON.parse(cli.stdout) as Transcript;
  expect(reference.segments.length).toBeGreaterThanOrEqual(6);
});

afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
});

describe('engines shared across tasks (real processes)', () => {
  it('with two engines, two one-chunk tasks run at the same time', async () => {
    // Both engine calls hang: one task at a time would never get to the second task's call.
    const svc = await service({ stallOn: [1, 2] });
    const a = await svc.upload(short);
    const b = await svc.upload(short);
    const [worker] = await svc.waitForWorkers(([w]) => w?.task_ids.length === 2);
    expect(new Set(worker?.task_ids)).toEqual(new Set([a.id, b.id]));
    // Both engine calls are in flight at once: each task's one chunk is being recognised.
    await svc.until('both engine calls to stall', async () => svc.logRecords(isStall).length === 2, {
      timeoutMs: 60_000,
    });
    for (const id of [a.id, b.id]) expect((await svc.task(id)).status).toBe('processing');
    // Cancelling both frees the worker; it holds nothing afterwards.
    for (const id of [a.id, b.id]) await svc.json(`/v1/tasks/${id}/cancel`, { method: 'POST' });
    await svc.waitForWorkers(([w]) => w?.state === 'idle' && w.task_ids.length === 0);
  });

  it('a full worker claims by priority when a task ends', async () => {
    // Two tasks fill the worker (EARSHOT_WORKER_TASKS=2) and hang; two more wait, the urgent one last.
    const svc = await service({ stallOn: [1, 2] }, { EARSHOT_WORKER_TASKS: 2 });
    const running = [await svc.upload(short), await svc.upload(short)];
    // Both hang in the engine before anything else is queued, so the stalls cannot fall on later tasks.
    await svc.until('both engine calls to stall', async () => svc.logRecords(isStall).length === 2, {
      timeoutMs: 60_000,
    });
    const low = await svc.upload(short, { priority: '-1' });
    const urgent = await svc.upload(short, { priority: '5' });
    expect((await svc.task(low.id)).status).toBe('queued');
    await svc.json(`/v1/tasks/${running[0]?.id}/cancel`, { method: 'POST' });
    const [urgentDone, lowDone] = [
      await svc.waitForStatus(urgent.id, 'succeeded'),
      await svc.waitForStatus(low.id, 'succeeded'),
    ];
    expect(Date.parse(urgentDone.started_at as string)).toBeLessThan(Date.parse(lowDone.started_at as string));
    await svc.json(`/v1/tasks/${running[1]?.id}/cancel`, { method: 'POST' });
  });

  it('a worker SIGKILLed while it holds several tasks loses none: each resumes from its checkpoints', async () => {
    // Two 8-chunk recordings: the first 8 engine calls are answered, the next two hang. The
    // replacement process counts from 1 again and needs only the 8 chunks left, so it never stalls.
    const svc = await service({ stallOn: [9, 10] }, { EARSHOT_RETRY_DELAYS_MS: '100' });
    const tasks = [await svc.upload(recording.path), await svc.upload(recording.path)];
    const ids = tasks.map((t) => t.id);
    let before: number[][] = [];
    await svc.until(
      '8 chunks checkpointed across both tasks',
      async () => {
        before = await Promise.all(ids.map(async (id) => checkpointed(await svc.readStore((s) => s.getPlan(id)))));
        return before.flat().length === 8;
      },
      { timeoutMs: 90_000 },
    );
    // Shared fairly, so both hold checkpoints and neither is done.
    for (const done of before) expect(done.length).toBeGreaterThan(0);
    const [worker] = await svc.workers();
    expect(new Set(worker?.task_ids)).toEqual(new Set(ids));
    const pid = worker?.pid as number;
    process.kill(pid, 'SIGKILL');
    await waitForExit(pid, 15_000);

    for (const [i, id] of ids.entries()) {
      const done = await svc.waitForStatus(id, 'succeeded', 90_000);
      expect(done.attempts).toBe(2);
      const plan = await svc.readStore((s) => s.getPlan(id));
      expect(plan.chunks.every((c) => c.checkpoint !== null)).toBe(true);
      // What the first attempt checkpointed was kept, not recognised again.
      const firstAttempt = plan.chunks.filter((c) => c.checkpoint?.attempt === 1).map((c) => c.index);
      expect(firstAttempt).toEqual(before[i]);
      const segmentEvents = (await svc.readStore((s) => s.readEvents(0, 10_000, { taskId: id }))).filter(
        (e) => e.type === 'segment',
      );
      expect(segmentEvents).toHaveLength(plan.chunks.length);
      const transcript = await svc.transcript(id);
      expect(shape(transcript.segments)).toEqual(shape(reference.segments));
    }
  });

  it('a long recording and a stream of short ones both progress', async () => {
    const long = await longSpeech(2);
    const svc = await service();
    const task = await svc.upload(long.path);
    const events = await svc.taskEvents(task.id);
    await events.waitForCount(isSegment, 1, 60_000);
    const progressAt = async () => checkpointed(await svc.readStore((s) => s.getPlan(task.id))).length;
    const atStart = await progressAt();
    for (let i = 0; i < 3; i++) {
      const clip = await svc.upload(short);
      const done = await svc.waitForStatus(clip.id, 'succeeded');
      expect((await svc.transcript(done.id)).text).toMatch(/fox/);
      // The short task did not wait for the long one to end.
      expect((await svc.task(task.id)).status).toBe('processing');
    }
    // ...and the long one kept going while they ran.
    expect(await progressAt()).toBeGreaterThan(atStart);
    await svc.waitForStatus(task.id, 'succeeded', 120_000);
    events.close();
  });
});
