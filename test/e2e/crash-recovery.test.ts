/**
 * Crash recovery of the real service, as OS processes: a worker SIGKILLed mid-task, the server
 * SIGKILLed mid-task, and a graceful SIGTERM. In each case the task must finish with the same
 * transcript an uninterrupted run produces, and chunks checkpointed before the interruption must not
 * be recognised again (the event log holds exactly one `segment` event per chunk).
 *
 * Engines are PocketSphinx on real flite speech. The fault-injecting wrapper makes the engine calls
 * after the first half of the chunks hang until aborted, so every interruption lands at the same
 * point, half-way through, however fast or loaded the machine is.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Segment, Transcript } from '../../src/core/transcript.js';
import type { StoredPlan } from '../../src/store/task.store.js';
import { type LongSpeech, longSpeech, synthSpeech } from '../helpers/audio-fixtures.js';
import { runCli } from '../helpers/cli.js';
import {
  childPids,
  type EventStream,
  type Service,
  type SseEvent,
  startService,
  waitForExit,
} from '../helpers/service/index.js';

/** 5 s chunks turn the 31 s recording into 8 chunks. */
const CHUNK_SECONDS = 5;
/** Chunks recognised before the engine calls stall: half of the 8. */
const DONE_BEFORE_STALL = 4;
const ADMIN = { admin: true } as const;

let recording: LongSpeech;
let short: string;
let reference: Transcript;
const services: Service[] = [];

/**
 * A service whose worker process answers `callsBefore` + DONE_BEFORE_STALL engine calls (the recording's
 * first chunks after `callsBefore` calls for other tasks), then hangs the calls of the next two chunks
 * (concurrency 2) until they are aborted. A replacement process counts from 1 again.
 */
async function service(env: Record<string, string | number> = {}, callsBefore = 0): Promise<Service> {
  const stallFrom = callsBefore + DONE_BEFORE_STALL + 1;
  const svc = await startService({
    // One task at a time: engine calls are then numbered by this recording alone, and the task
    // queued behind it stays queued (shared-engines.test.ts covers a worker holding several tasks).
    env: { EARSHOT_MAX_CHUNK_SECONDS: CHUNK_SECONDS, EARSHOT_WORKER_TASKS: 1, ...env },
    faults: { stallOn: [stallFrom, stallFrom + 1] },
  });
  services.push(svc);
  return svc;
}

const isSegment = (e: SseEvent) => e.event === 'segment';
const segmentIndex = (e: SseEvent) => (e.data as { index: number }).index;
const shape = (segments: readonly Segment[]) => segments.map(({ start, end, text }) => ({ start, end, text }));

/** Checkpointed chunk indexes by the attempt that recognised them. */
function byAttempt(plan: StoredPlan): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const c of plan.chunks) {
    if (c.checkpoint === null) continue;
    out.set(c.checkpoint.attempt, [...(out.get(c.checkpoint.attempt) ?? []), c.index]);
  }
  return out;
}

/** How many `segment` events the store's event log holds for each chunk of the task. */
async function segmentEventsPerChunk(svc: Service, taskId: string): Promise<Map<number, number>> {
  const log = await svc.readStore((s) => s.readEvents(0, 10_000, { taskId }));
  const counts = new Map<number, number>();
  for (const ev of log.filter((e) => e.type === 'segment')) {
    const index = Number(ev.data.index);
    counts.set(index, (counts.get(index) ?? 0) + 1);
  }
  return counts;
}

/** The task finished with every chunk checkpointed exactly once and the uninterrupted run's transcript. */
async function expectCompleteAndUnredone(svc: Service, taskId: string): Promise<StoredPlan> {
  const plan = await svc.readStore((s) => s.getPlan(taskId));
  expect(plan.complete).toBe(true);
  expect(plan.chunks.length).toBeGreaterThanOrEqual(6);
  expect(plan.chunks.every((c) => c.checkpoint !== null)).toBe(true);
  const perChunk = await segmentEventsPerChunk(svc, taskId);
  expect([...perChunk.keys()].sort((a, b) => a - b)).toEqual(plan.chunks.map((c) => c.index));
  expect([...perChunk.values()].every((n) => n === 1)).toBe(true);

  const transcript = await svc.transcript(taskId);
  expect(transcript.partial).toBeUndefined();
  expect(shape(transcript.segments)).toEqual(shape(reference.segments));
  expect(transcript.text).toBe(reference.text);
  return plan;
}

/**
 * Waits until the chunks recognised before the stall have been checkpointed (seen as SSE `segment`
 * events, one per chunk): from then on the task hangs until it is interrupted.
 */
async function waitForStall(events: EventStream): Promise<number[]> {
  const seen = await events.waitForCount(isSegment, DONE_BEFORE_STALL, 60_000);
  return seen.map(segmentIndex).sort((a, b) => a - b);
}

beforeAll(async () => {
  recording = await longSpeech(0.5);
  short = await synthSpeech('The quick brown fox jumps over the lazy dog.');
  // The uninterrupted run, from the CLI: same pipeline, same chunking, no service involved.
  const cli = await runCli(
    ['transcribe', recording.path, '-f', 'json', '-o', '-', '--max-chunk-seconds', String(CHUNK_SECONDS)],
    { EARSHOT_LOG_LEVEL: 'error', EARSHOT_CONCURRENCY: 2 },
  );
  expect(cli.code, cli.stderr).toBe(0);
  reference = JSON.parse(cli.stdout) as Transcript;
  expect(reference.segments.length).toBeGreaterThanOrEqual(6);
});

afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
});

describe('crash recovery (real processes)', () => {
  it('a worker SIGKILLed mid-task is restarted; the retry recognises only the chunks not checkpointed', async () => {
    const svc = await service();
    const task = await svc.upload(recording.path);
    const events = await svc.taskEvents(task.id);
    const seenBeforeKill = await waitForStall(events);
    // The analysis runs ahead of recognition and stores the whole plan once made, long before the
    // last chunk is recognised: the retry replays it instead of analysing the recording again.
    await svc.until(
      'the complete plan to be stored',
      async () => (await svc.readStore((s) => s.getPlan(task.id))).complete,
      {
        timeoutMs: 30_000,
      },
    );

    const [worker] = await svc.workers();
    expect(worker?.task_id).toBe(task.id);
    const pid = worker?.pid as number;
    const engines = childPids(pid);
    expect(engines).toHaveLength(2);
    process.kill(pid, 'SIGKILL');
    await waitForExit(pid, 15_000);
    // Its engine processes see their stdin close and exit: nothing is left orphaned.
    for (const engine of engines) await waitForExit(engine, 15_000);

    // The supervisor starts a replacement and re-queues the task at once (not after lease expiry).
    const [restarted] = await svc.waitForWorkers(([w]) => w !== undefined && w.restarts === 1 && w.pid !== pid);
    expect(restarted?.pid).not.toBe(pid);
    const done = await svc.waitForStatus(task.id, 'succeeded', 60_000);
    expect(done.attempts).toBe(2);
    expect(done.error).toBeNull();
    const log = await svc.readStore((s) => s.readEvents(0, 10_000, { taskId: task.id }));
    expect(log.filter((e) => e.type === 'retrying').map((e) => e.data.errorCode)).toEqual(['worker_crashed']);

    const plan = await expectCompleteAndUnredone(svc, task.id);
    const attempts = byAttempt(plan);
    expect([...attempts.keys()].sort()).toEqual([1, 2]);
    const first = attempts.get(1) ?? [];
    const second = attempts.get(2) ?? [];
    // What was done before the kill kept its first-attempt checkpoint; the retry did only the rest.
    expect(first.sort((a, b) => a - b)).toEqual(seenBeforeKill);
    expect(seenBeforeKill).toEqual(plan.chunks.slice(0, DONE_BEFORE_STALL).map((c) => c.index));
    expect(second.sort((a, b) => a - b)).toEqual(plan.chunks.slice(DONE_BEFORE_STALL).map((c) => c.index));
    // The live stream carried every chunk once, across both attempts.
    await events.waitFor((e) => e.event === 'done', 60_000, 'the done event');
    expect(
      events
        .ofType('segment')
        .map(segmentIndex)
        .sort((a, b) => a - b),
    ).toEqual(plan.chunks.map((c) => c.index));
    events.close();
  });

  it('the server SIGKILLed mid-task: workers give the task back and exit; a restart resumes it from checkpoints', async () => {
    // The earlier task's one chunk is the worker's first engine call.
    const svc = await service({}, 1);
    const earlier = await svc.upload(short);
    await svc.waitForStatus(earlier.id, 'succeeded');
    const earlierTranscript = await svc.transcript(earlier.id);
    expect(earlierTranscript.text).toMatch(/fox/);

    const task = await svc.upload(recording.path);
    const queued = await svc.upload(short);
    const events = await svc.taskEvents(task.id);
    const seenBeforeKill = await waitForStall(events);
    const workerPids = await svc.workerPids();
    expect(workerPids).toHaveLength(1);
    const engines = workerPids.flatMap(childPids);
    expect(engines).toHaveLength(2);

    const exit = await svc.kill('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    // Orphaned workers notice the IPC channel closed, release their task and exit on their own,
    // closing their engines.
    for (const pid of [...workerPids, ...engines]) await waitForExit(pid, 15_000);
    const stopped = await svc.readStore(async (s) => ({
      task: await s.get(task.id, ADMIN),
      queued: await s.get(queued.id, ADMIN),
      plan: await s.getPlan(task.id),
    }));
    expect(stopped.task?.status).toBe('queued');
    expect(stopped.task?.attempts).toBe(0); // released, not failed: the attempt is not spent
    expect(stopped.task?.leaseOwner).toBeNull();
    expect(stopped.queued?.status).toBe('queued');
    const checkpointed = stopped.plan.chunks.filter((c) => c.checkpoint !== null).map((c) => c.index);
    expect(checkpointed).toEqual(seenBeforeKill);

    await svc.restart();
    const done = await svc.waitForStatus(task.id, 'succeeded', 60_000);
    expect(done.attempts).toBe(1);
    await expectCompleteAndUnredone(svc, task.id);

    // Everything else survived the crash: the upload, the earlier transcript, the queued task.
    const media = await svc.request(`/v1/tasks/${task.id}/media`);
    expect(media.status).toBe(200);
    expect(Buffer.from(await media.arrayBuffer()).equals(await readFile(recording.path))).toBe(true);
    expect(await svc.transcript(earlier.id)).toEqual(earlierTranscript);
    await svc.waitForStatus(queued.id, 'succeeded');
    expect((await svc.transcript(queued.id)).text).toBe(earlierTranscript.text);
  });

  it('SIGTERM mid-task: the server exits within the grace period, the task is released unspent and completes after restart', async () => {
    const graceMs = 1000;
    const svc = await service({ EARSHOT_SHUTDOWN_GRACE_MS: graceMs });
    const task = await svc.upload(recording.path);
    const events = await svc.taskEvents(task.id);
    await waitForStall(events);
    const workerPids = await svc.workerPids();
    const engines = workerPids.flatMap(childPids);

    const started = Date.now();
    const exit = await svc.kill('SIGTERM');
    // Code 0: it shut down cleanly, before its own deadline (grace + 15 s) past which it exits with
    // code 1. The stalled chunks cannot finish, so it waited the whole grace period before aborting them.
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeGreaterThanOrEqual(graceMs);
    for (const pid of [...workerPids, ...engines]) await waitForExit(pid, 15_000);

    const stopped = await svc.readStore(async (s) => s.get(task.id, ADMIN));
    expect(stopped?.status).toBe('queued');
    expect(stopped?.stage).toBe('waiting');
    expect(stopped?.attempts).toBe(0);
    expect(stopped?.errorCode).toBeNull();
    expect(
      svc.logRecords((r) => r.msg === 'task released for another worker (shutdown)' && r.taskId === task.id),
    ).toHaveLength(1);

    await svc.restart();
    const done = await svc.waitForStatus(task.id, 'succeeded', 60_000);
    expect(done.attempts).toBe(1);
    await expectCompleteAndUnredone(svc, task.id);
  });
});
