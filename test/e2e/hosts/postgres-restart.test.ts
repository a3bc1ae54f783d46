/**
 * Two machines and a database: an API node (no workers) on host `api` and a standalone worker on
 * host `worker`, each in its own network namespace with its own data directory (media in the
 * database), reaching a private PostgreSQL only over the test's bridge network. PostgreSQL crashes (stop -m immediate) while tasks
 * are being recognised and comes back on the same address; afterwards every task must have
 * succeeded exactly once, none lost or left behind, and the API must answer again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetwork, hostsSupport, type Network, type PrivatePostgres } from '../../helpers/hosts/index.js';
import { type CliProcess, type Service, startService, startWorker } from '../../helpers/service/index.js';

const CLIPS = ['0870', '0890', '0920'].map(
  (c) => `/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-${c}.wav`,
);
const ADMIN = { admin: true } as const;
const support = hostsSupport();

let net: Network;
let pg: PrivatePostgres;
let api: Service;
let worker: CliProcess;

const succeeded = () => worker.log.records((r) => r.msg === 'task succeeded').map((r) => r.taskId as string);

describe.skipIf(!support.ok)(
  `API and worker on separate hosts, PostgreSQL restarted mid-run${support.ok ? '' : ` (skipped: ${support.reason})`}`,
  () => {
    beforeAll(async () => {
      net = await createNetwork({ hosts: ['api', 'worker'] });
      pg = await net.startPostgres();
      const env = {
        EARSHOT_DB: pg.url('earshot'),
        EARSHOT_WORKERS: 0,
        EARSHOT_CONCURRENCY: 2,
        EARSHOT_MAX_CHUNK_SECONDS: 2,
        EARSHOT_MEDIA_STORE: 'database',
      };
      api = await startService({ host: net.host('api'), env });
      worker = await startWorker({
        host: net.host('worker'),
        id: 'host-worker',
        dataDir: net.host('worker').dataDir,
        env,
        // Each engine call is slowed down, so the outage lands while tasks are being recognised.
        faults: { delayMs: 300 },
      });
    });

    afterAll(async () => {
      await worker?.stop();
      await api?.stop();
      await net?.teardown();
    });

    it('every task succeeds exactly once after PostgreSQL crashes and restarts', async () => {
      expect(api.url).toContain(net.host('api').address);
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) for (const clip of CLIPS) ids.push((await api.upload(clip)).id);

      // Mid-run: something finished, something is being recognised, something still waits.
      await api.until(
        'a task finished and another one running',
        async () => {
          if (succeeded().length === 0) return false;
          const running = await api.readStore((s) => s.list(ADMIN, { status: 'processing', limit: 10, offset: 0 }));
          return running.tasks.length > 0;
        },
        { timeoutMs: 120_000, intervalMs: 50 },
      );
      const before = succeeded().length;
      expect(before).toBeLessThan(ids.length);

      const crashedAt = Date.now();
      await pg.stop('immediate');
      // The API answers (503 with Retry-After, not a hang or a 500) while its database is gone.
      const down = await api.request(`/v1/tasks/${ids[0]}`);
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('5');
      // The worker has noticed (a failed heartbeat, progress write or claim) before the database returns.
      await worker.waitForLog(
        (r) => (r.level as number) >= 40 && (r.time as number) >= crashedAt,
        'a warning after the crash',
        60_000,
      );
      await pg.start();

      await api.until('the API to answer again', async () => (await api.request(`/v1/tasks/${ids[0]}`)).ok, {
        timeoutMs: 60_000,
      });
      for (const id of ids) await api.waitForStatus(id, 'succeeded', 180_000);
      expect(await api.readStore((s) => s.countByStatus())).toMatchObject({
        succeeded: ids.length,
        failed: 0,
        processing: 0,
        queued: 0,
      });
      // Exactly once: each task was completed by one attempt, none twice, none lost.
      expect([...succeeded()].sort()).toEqual([...ids].sort());
      for (const id of ids) expect((await api.transcript(id)).text.split(' ').length).toBeGreaterThan(3);
      expect(worker.running).toBe(true);
    });
  },
);
