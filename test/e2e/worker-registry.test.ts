/**
 * The worker registry across real processes on one PostgreSQL: a server with a supervised worker and
 * a standalone `earshot worker` that reports another host name (EARSHOT_WORKER_HOST) both show in the
 * admin list; a SIGKILLed worker turns stale once its lease passes without a heartbeat; a worker
 * drained mid-task finishes that task, claims nothing more and exits, and its supervisor leaves it
 * stopped rather than restarting it.
 */
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredWorkerView, WorkersResponse } from '../../src/api/schemas/worker.schema.js';
import { earshotVersion } from '../../src/core/version.js';
import { type LongSpeech, longSpeech } from '../helpers/audio-fixtures.js';
import { freshPgSchema, type TestSchema } from '../helpers/pg.js';
import { type CliProcess, type Service, startService, startWorker, waitForExit } from '../helpers/service/index.js';

const LEASE_MS = 2000;
const CLIP = '/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav';
const OTHER_HOST = 'registry-test-other-host';
const ADMIN = { admin: true } as const;

let schema: TestSchema;
let svc: Service;
let recording: LongSpeech;
const standalone: CliProcess[] = [];

beforeAll(async () => {
  recording = await longSpeech(0.2);
  schema = await freshPgSchema('earshot_e2e');
  svc = await startService({
    env: {
      EARSHOT_DB: schema.url,
      EARSHOT_WORKERS: 1,
      EARSHOT_CONCURRENCY: 1,
      EARSHOT_WORKER_TASKS: 1,
      EARSHOT_LEASE_MS: LEASE_MS,
      EARSHOT_HEARTBEAT_MS: 400,
      EARSHOT_WORKER_HEARTBEAT_MS: 300,
      EARSHOT_MAX_CHUNK_SECONDS: 3,
    },
    // Slowed engine calls, so a drain lands while a task is running.
    faults: { delayMs: 1000 },
  });
});

afterAll(async () => {
  await Promise.all(standalone.splice(0).map((w) => w.stop()));
  await svc?.stop();
  await schema?.drop();
});

const registry = () => svc.json<WorkersResponse>('/v1/admin/workers', {}, 'root');

async function waitForRegistry(what: string, pred: (ws: RegisteredWorkerView[]) => boolean, timeoutMs = 30_000) {
  let last: WorkersResponse | null = null;
  await svc.until(
    () => `${what} (last: ${JSON.stringify(last)})`,
    async () => {
      last = await registry();
      return pred(last.workers);
    },
    { timeoutMs, intervalMs: 100 },
  );
  return (last as unknown as WorkersResponse).workers;
}

describe('worker registry', () => {
  it('lists the supervised and the standalone worker, each with its host, pid, engine, slots and version', async () => {
    const w = await startWorker({
      id: 'standalone-1',
      dataDir: svc.dataDir,
      env: {
        EARSHOT_DB: schema.url,
        EARSHOT_WORKERS: 0,
        EARSHOT_CONCURRENCY: 1,
        EARSHOT_WORKER_TASKS: 3,
        EARSHOT_LEASE_MS: LEASE_MS,
        EARSHOT_WORKER_HEARTBEAT_MS: 300,
        EARSHOT_WORKER_HOST: OTHER_HOST,
      },
    });
    standalone.push(w);
    const [slot] = await svc.workers();
    const workers = await waitForRegistry('both workers registered', (ws) => ws.length === 2);
    const mine = workers.find((x) => x.id === slot?.worker_id);
    const other = workers.find((x) => x.id === 'standalone-1');
    expect(mine).toMatchObject({
      host: os.hostname(),
      pid: slot?.pid,
      engine: 'pocketsphinx',
      slots: 1,
      version: earshotVersion(),
      state: 'running',
      stale: false,
      task_ids: [],
      supervised_by_this_server: true,
    });
    expect(other).toMatchObject({
      host: OTHER_HOST,
      pid: w.pid,
      slots: 3,
      state: 'running',
      stale: false,
      supervised_by_this_server: false,
    });
    expect(other?.heartbeat_age_ms).toBeLessThan(LEASE_MS);
  });

  it('a SIGKILLed worker is marked stale once its lease passes without a heartbeat; the live one is not', async () => {
    const w = standalone[0] as CliProcess;
    const killedAt = Date.now();
    expect((await w.kill('SIGKILL')).signal).toBe('SIGKILL');
    const workers = await waitForRegistry('the killed worker to turn stale', (ws) =>
      ws.some((x) => x.id === 'standalone-1' && x.stale),
    );
    const dead = workers.find((x) => x.id === 'standalone-1');
    // Stale no sooner than a lease after its last heartbeat, and well within a few leases of the kill.
    expect(dead?.heartbeat_age_ms).toBeGreaterThanOrEqual(LEASE_MS);
    expect(Date.now() - killedAt).toBeLessThan(LEASE_MS * 10);
    expect(workers.filter((x) => x.id !== 'standalone-1').every((x) => !x.stale)).toBe(true);
  });

  it('a worker drained mid-task finishes it, claims nothing new and exits; its supervisor leaves it stopped', async () => {
    const [slot] = await svc.workers();
    const workerId = slot?.worker_id as string;
    const pid = slot?.pid as number;
    const a = await svc.upload(recording.path);
    await svc.waitForTask(a.id, (t) => t.status === 'processing' && t.progress.done_seconds > 0, 60_000);
    expect((await svc.readStore((s) => s.get(a.id, ADMIN)))?.leaseOwner).toBe(workerId);

    const drained = await svc.json<RegisteredWorkerView>(
      `/v1/admin/workers/${encodeURIComponent(workerId)}/drain`,
      { method: 'POST' },
      'root',
    );
    expect(drained).toMatchObject({ id: workerId, state: 'draining' });
    const b = await svc.upload(CLIP);
    const seen = await svc.waitForLog((r) => r.msg === 'draining' && r.workerId === workerId, 'draining', 30_000);
    expect((await svc.task(a.id)).status).toBe('processing'); // the drain arrived mid-task

    await svc.waitForStatus(a.id, 'succeeded', 90_000);
    await waitForExit(pid, 30_000);
    const [after] = await svc.waitForWorkers(([x]) => x?.state === 'drained', 30_000);
    expect(after).toMatchObject({ pid: null, restarts: 0, task_ids: [] });
    // Gone from the registry (deregistered on its clean exit), and B was never claimed by it.
    await waitForRegistry('the drained worker to deregister', (ws) => ws.every((x) => x.id !== workerId));
    const end = await svc.readStore(async (s) => ({
      a: await s.get(a.id, ADMIN),
      b: await s.get(b.id, ADMIN),
      events: await s.readEvents(0, 10_000, { taskId: a.id }),
    }));
    expect(end.a).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(end.b).toMatchObject({ status: 'queued', attempts: 0, leaseOwner: null });
    const done = svc.logRecords((r) => r.msg === 'task succeeded' && r.taskId === a.id)[0];
    expect(seen.time as number).toBeLessThan(done?.time as number);
    expect(svc.logRecords((r) => r.msg === 'worker exited unexpectedly')).toEqual([]);
    expect(svc.logRecords((r) => r.msg === 'worker started')).toHaveLength(1);
  });
});
