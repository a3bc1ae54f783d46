/**
 * Lease expiry in a real multi-process cluster: standalone `earshot worker` processes sharing one
 * SQLite store, with no server and no supervisor. A worker SIGKILLed mid-task leaves its task
 * `processing` under a lease nobody renews; only the lease sweep of another worker can recover it,
 * and only once the lease has expired. That worker then resumes from the dead one's checkpoints.
 * (Supervised crashes are re-queued at once by the supervisor: see crash-recovery.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeWords } from '../../src/core/wer.js';
import { type LongSpeech, longSpeech } from '../helpers/audio-fixtures.js';
import { type CliProcess, type Service, startService, startWorker, waitForExit } from '../helpers/service/index.js';

const ADMIN = { admin: true } as const;
const LEASE_MS = 2000;
/** The workers' settings: 3 s chunks (5 for the recording) and a slowed engine, so a kill lands mid-task. */
const WORKER = {
  env: { EARSHOT_LEASE_MS: LEASE_MS, EARSHOT_HEARTBEAT_MS: 400, EARSHOT_MAX_CHUNK_SECONDS: 3 },
  faults: { delayMs: 1000 },
};

let recording: LongSpeech;
let svc: Service;
const workers: CliProcess[] = [];

beforeAll(async () => {
  recording = await longSpeech(0.2);
  // The server only takes the upload; it is stopped before any worker runs, so its own lease sweep
  // cannot be what recovers the task.
  svc = await startService({ env: { EARSHOT_WORKERS: 0 } });
});

afterAll(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  await svc?.stop();
});

async function worker(id: string): Promise<CliProcess> {
  const w = await startWorker({ ...WORKER, id, dataDir: svc.dataDir });
  workers.push(w);
  return w;
}

describe('lease expiry across standalone worker processes', () => {
  it('a SIGKILLed worker’s task is reclaimed by another worker after its lease expires and resumed from checkpoints', async () => {
    const task = await svc.upload(recording.path);
    await svc.kill('SIGTERM');

    const pair = await Promise.all([worker('lease-x'), worker('lease-y')]);
    const startedBy = (w: CliProcess) =>
      w.waitForLog((r) => r.msg === 'task started' && r.taskId === task.id, 'task started', 60_000).then(() => w);
    // Whichever claims the task is killed; the other one has to recover it.
    const a = await Promise.any(pair.map(startedBy));
    const b = pair.find((w) => w !== a) as CliProcess;
    const aId = a === pair[0] ? 'lease-x' : 'lease-y';
    await svc.until(
      'two checkpointed chunks',
      () => svc.readStore(async (s) => (await s.getPlan(task.id)).chunks.filter((c) => c.checkpoint).length >= 2),
      { timeoutMs: 60_000, intervalMs: 50 },
    );

    const engines = a.children();
    expect(engines.length).toBeGreaterThan(0);
    const exit = await a.kill('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    // The decoders die with their worker (PR_SET_PDEATHSIG): nothing of `a` keeps running.
    for (const pid of engines) await waitForExit(pid, 5_000);

    const orphaned = await svc.readStore((s) => s.get(task.id, ADMIN));
    expect(orphaned).toMatchObject({ status: 'processing', leaseOwner: aId, attempts: 1 });
    const leaseEnd = orphaned?.leaseExpiresAt as number;
    const doneByA = (await svc.readStore((s) => s.getPlan(task.id))).chunks.filter((c) => c.checkpoint).length;

    const reclaimed = await b.waitForLog((r) => r.msg === 'reclaimed tasks whose worker vanished', 'reclaim (b)');
    // The sweep waited for the lease to run out: it did not take a task whose worker might be alive.
    expect(reclaimed.time as number).toBeGreaterThanOrEqual(leaseEnd);
    const resumed = await b.waitForLog((r) => r.msg === 'task started' && r.taskId === task.id, 'task started (b)');
    expect(resumed.attempt).toBe(2);
    await b.waitForLog((r) => r.msg === 'task succeeded' && r.taskId === task.id, 'task succeeded (b)');

    const end = await svc.readStore(async (s) => ({
      task: await s.get(task.id, ADMIN),
      plan: await s.getPlan(task.id),
      transcript: await s.getTranscript(task.id),
      events: await s.readEvents(0, 10_000, { taskId: task.id }),
    }));
    expect(end.task).toMatchObject({ status: 'succeeded', attempts: 2, leaseOwner: null });
    expect(end.events.filter((e) => e.type === 'retrying').map((e) => e.data.errorCode)).toEqual(['worker_lost']);
    // Every chunk recognised once: what `a` checkpointed kept its attempt-1 checkpoint, `b` did the rest.
    const attempts = end.plan.chunks.map((c) => c.checkpoint?.attempt);
    expect(end.plan.complete).toBe(true);
    expect(attempts.filter((n) => n === 1)).toHaveLength(doneByA);
    expect(attempts.filter((n) => n === 2)).toHaveLength(end.plan.chunks.length - doneByA);
    expect(doneByA).toBeLessThan(end.plan.chunks.length);
    const segmentEvents = end.events.filter((e) => e.type === 'segment').map((e) => Number(e.data.index));
    expect(segmentEvents.sort((x, y) => x - y)).toEqual(end.plan.chunks.map((c) => c.index));
    // The transcript is the checkpoints of both attempts, in order.
    const fromCheckpoints = end.plan.chunks.flatMap((c) => c.checkpoint?.segments.map((s) => s.text) ?? []);
    expect(normalizeWords(end.transcript?.text ?? '')).toEqual(normalizeWords(fromCheckpoints.join(' ')));
    expect(normalizeWords(end.transcript?.text ?? '').length).toBeGreaterThan(50);
    expect(b.running).toBe(true);
  });
});
