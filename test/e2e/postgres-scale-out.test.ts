/**
 * Scale-out shape: one API server with no workers and two separate `earshot worker` processes, all
 * coordinating only through PostgreSQL (plus the shared data directory for uploads). Both workers
 * must take part, and when one is SIGKILLed mid-task its task must finish on the other once the
 * lease runs out, with every other task transcribed exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPgSchema, type TestSchema } from '../helpers/pg.js';
import { type CliProcess, type Service, startService, startWorker } from '../helpers/service/index.js';

const CLIPS = ['0880', '0930'].map(
  (c) => `/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-${c}.wav`,
);
const ADMIN = { admin: true } as const;

let schema: TestSchema;
let svc: Service;
const workers = new Map<string, CliProcess>();

beforeAll(async () => {
  schema = await freshPgSchema('earshot_e2e');
  const env = { EARSHOT_DB: schema.url, EARSHOT_WORKERS: 0, EARSHOT_CONCURRENCY: 1, EARSHOT_LEASE_MS: 2000 };
  svc = await startService({ env });
  // Each call is slowed down, so a task is long enough to be caught running.
  await Promise.all(
    ['pg-a', 'pg-b'].map(async (id) => {
      workers.set(id, await startWorker({ id, dataDir: svc.dataDir, env, faults: { delayMs: 700 } }));
    }),
  );
});

afterAll(async () => {
  await Promise.all([...workers.values()].map((w) => w.stop()));
  await svc?.stop();
  await schema?.drop();
});

const worker = (id: string) => workers.get(id) as CliProcess;
const succeededBy = (id: string) =>
  worker(id)
    .log.records((r) => r.msg === 'task succeeded')
    .map((r) => r.taskId as string);

describe('PostgreSQL deployment: API and workers as separate processes', () => {
  it('both workers share the queue; a worker killed mid-task has its tasks finished by the other', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) for (const clip of CLIPS) ids.push((await svc.upload(clip)).id);

    // Both workers have finished work, and pg-a is in the middle of another task: kill it there.
    let victim: string | undefined;
    await svc.until(
      'both workers to have finished a task and pg-a to hold another',
      async () => {
        if (succeededBy('pg-a').length === 0 || succeededBy('pg-b').length === 0) return false;
        const running = await svc.readStore((s) => s.list(ADMIN, { status: 'processing', limit: 10, offset: 0 }));
        victim = running.tasks.find((t) => t.leaseOwner === 'pg-a')?.id;
        return victim !== undefined;
      },
      { timeoutMs: 90_000, intervalMs: 50 },
    );
    const finishedByA = succeededBy('pg-a');
    expect((await worker('pg-a').kill('SIGKILL')).signal).toBe('SIGKILL');

    for (const id of ids) await svc.waitForStatus(id, 'succeeded', 90_000);
    const counts = await svc.readStore((s) => s.countByStatus());
    expect(counts).toMatchObject({ succeeded: ids.length, failed: 0, processing: 0, queued: 0 });
    // The killed worker's tasks (it runs several at once) went to the other one, each as a second
    // attempt after its lease expired; no other task was retried.
    const tasks = await Promise.all(ids.map((id) => svc.task(id)));
    const retried = tasks.filter((t) => t.attempts > 1).map((t) => t.id);
    expect(retried).toContain(victim);
    for (const id of retried) {
      expect(succeededBy('pg-b')).toContain(id);
      expect((await svc.task(id)).attempts).toBe(2);
      const log = await svc.readStore((s) => s.readEvents(0, 10_000, { taskId: id }));
      expect(log.filter((e) => e.type === 'retrying').map((e) => e.data.errorCode)).toEqual(['worker_lost']);
    }
    // Every task was finished exactly once, each by one of the two workers.
    expect([...finishedByA, ...succeededBy('pg-b')].sort()).toEqual([...ids].sort());
    for (const id of ids) expect((await svc.transcript(id)).text.split(' ').length).toBeGreaterThan(3);
  });
});
