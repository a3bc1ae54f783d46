/**
 * Many machines, nothing shared but PostgreSQL. Four hosts, each its own network namespace and data
 * directory, reaching a private PostgreSQL over the test's bridge: API nodes `api-a` and `api-c`,
 * workers on `worker-b` and (later) `worker-d`; media live in the database (EARSHOT_MEDIA_STORE).
 * 1. An upload through A is recognised on B (the real engine, real speech); A dies (every process of
 *    the host SIGKILLed, its data directory gone); C serves the transcript and the media.
 * 2. Host B dies mid-task: the task finishes on D from B's checkpoints, and the worker registry marks
 *    B's worker stale within the lease while it lists D's.
 */
import { readFile, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wordErrorRate } from '../../../src/core/wer.js';
import { LIBRIVOX_DIR, loadLibrivox } from '../../engines/librivox.js';
import { createNetwork, hostsSupport, type Network, type PrivatePostgres } from '../../helpers/hosts/index.js';
import { type CliProcess, type Service, startService, startWorker } from '../../helpers/service/index.js';

const support = hostsSupport();
const LEASE_MS = 2_000;
const clip = loadLibrivox().find((c) => c.seconds > 6) ?? loadLibrivox()[0];
if (clip === undefined) throw new Error('no LibriVox clip');
const CLIP_PATH = `${LIBRIVOX_DIR}/${clip.id}.wav`;

interface RegistryView {
  workers: { id: string; host: string; stale: boolean; task_ids: string[] }[];
}

let net: Network;
let pg: PrivatePostgres;
let apiA: Service;
let apiC: Service;
const workers = new Map<string, CliProcess>();

const env = () => ({
  EARSHOT_DB: pg.url('earshot'),
  EARSHOT_MEDIA_STORE: 'database',
  EARSHOT_WORKERS: 0,
  EARSHOT_CONCURRENCY: 1,
  EARSHOT_LEASE_MS: LEASE_MS,
  EARSHOT_WORKER_HEARTBEAT_MS: 500,
  EARSHOT_MAX_CHUNK_SECONDS: 2,
});

/** A standalone worker on `host`, reporting that host's name to the registry. */
async function startWorkerOn(host: string, delayMs = 0): Promise<CliProcess> {
  const worker = await startWorker({
    host: net.host(host),
    id: `${host}-worker`,
    dataDir: net.host(host).dataDir,
    env: { ...env(), EARSHOT_WORKER_HOST: host },
    ...(delayMs > 0 ? { faults: { delayMs } } : {}),
  });
  workers.set(host, worker);
  return worker;
}

const succeededOn = (host: string) =>
  (workers.get(host)?.log.records((r) => r.msg === 'task succeeded') ?? []).map((r) => r.taskId as string);

describe.skipIf(!support.ok)(
  `API and worker hosts with nothing shared but PostgreSQL${support.ok ? '' : ` (skipped: ${support.reason})`}`,
  () => {
    beforeAll(async () => {
      net = await createNetwork({ hosts: ['api-a', 'api-c', 'worker-b', 'worker-d'] });
      pg = await net.startPostgres();
      apiA = await startService({ host: net.host('api-a'), env: env() });
      apiC = await apiA.sibling({ host: net.host('api-c'), env: env() });
      await startWorkerOn('worker-b');
    });

    afterAll(async () => {
      await Promise.all([...workers.values()].map((w) => w.stop()));
      await apiC?.stop();
      await apiA?.stop();
      await net?.teardown();
    });

    it('an upload through A, recognised on B, is served by C after host A died', async () => {
      const { id } = await apiA.upload(CLIP_PATH);
      await apiA.waitForStatus(id, 'succeeded', 120_000);
      expect(succeededOn('worker-b')).toContain(id);

      const killed = await net.host('api-a').kill();
      expect(killed.length).toBeGreaterThan(0);
      await rm(net.host('api-a').dataDir, { recursive: true, force: true }); // the machine is gone

      const task = await apiC.task(id);
      expect(task.status).toBe('succeeded');
      const { text } = await apiC.transcript(id);
      expect(wordErrorRate(clip.reference, text).wer).toBeLessThan(0.5);
      const media = await apiC.request(`/v1/tasks/${id}/media`);
      expect(media.status).toBe(200);
      expect(Buffer.from(await media.arrayBuffer()).equals(await readFile(CLIP_PATH))).toBe(true);
    });

    it('host B dies mid-task: the task finishes on host D from its checkpoints; B shows stale within the lease', async () => {
      // B is slowed down so that the task is caught between chunks.
      await workers.get('worker-b')?.stop();
      workers.delete('worker-b');
      await startWorkerOn('worker-b', 800);
      const { id } = await apiC.upload(CLIP_PATH);

      let doneBefore: number[] = [];
      await apiC.until(
        'B to have checkpointed a chunk of the task and to hold it still',
        async () => {
          const [task, plan] = await apiC.readStore(async (s) => [
            await s.get(id, { admin: true }),
            await s.getPlan(id),
          ]);
          doneBefore = plan.chunks.filter((c) => c.checkpoint !== null).map((c) => c.index);
          return task?.status === 'processing' && task.leaseOwner === 'worker-b-worker' && doneBefore.length > 0;
        },
        { timeoutMs: 120_000, intervalMs: 50 },
      );
      const plan = await apiC.readStore((s) => s.getPlan(id));
      expect(plan.chunks.length).toBeGreaterThan(doneBefore.length); // work is left for D

      await startWorkerOn('worker-d'); // idle until B's lease runs out: the task is B's
      await net.host('worker-b').kill();
      const killedAt = Date.now();

      let registry: RegistryView = { workers: [] };
      await apiC.until(
        'B stale and D live in the registry',
        async () => {
          registry = await apiC.json<RegistryView>('/v1/admin/workers', {}, 'root');
          const b = registry.workers.find((w) => w.host === 'worker-b');
          const d = registry.workers.find((w) => w.host === 'worker-d');
          return b?.stale === true && d?.stale === false;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      // Stale once a lease passes without a heartbeat (plus one heartbeat interval and a poll of slack).
      expect(Date.now() - killedAt).toBeLessThan(LEASE_MS + 3_000);
      expect(registry.workers.map((w) => w.host)).toEqual(expect.arrayContaining(['worker-b', 'worker-d']));

      const done = await apiC.waitForStatus(id, 'succeeded', 120_000);
      expect(done.attempts).toBe(2);
      expect(succeededOn('worker-d')).toContain(id);
      // The chunks B finished were kept, not recognised again: their checkpoints still say attempt 1.
      const after = await apiC.readStore((s) => s.getPlan(id));
      for (const index of doneBefore) {
        expect(after.chunks.find((c) => c.index === index)?.checkpoint?.attempt).toBe(1);
      }
      expect(after.chunks.some((c) => c.checkpoint?.attempt === 2)).toBe(true);
      expect(wordErrorRate(clip.reference, (await apiC.transcript(id)).text).wer).toBeLessThan(0.5);
    });
  },
);
