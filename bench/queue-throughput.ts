/**
 * Issue 13: queue throughput with a no-op engine. For each backend, in one run:
 *   1. one producer enqueues N tasks, one at a time (enqueue rate);
 *   2. W worker processes (each with its own connection, as real workers have) claim and complete
 *      them until the queue is empty (claim + complete rate);
 * and the end-to-end rate N / (enqueue + drain). Then, with `pipelined` (the default runs both), a
 * second measure closer to a live service: the workers are started first and the producer enqueues
 * while they drain, and the rate is N / (first enqueue → last completion). Backends:
 *   - Earshot's SQLite store (one database file, `BEGIN IMMEDIATE` claims);
 *   - Earshot's PostgreSQL store (`FOR UPDATE SKIP LOCKED` claims);
 *   - pg-boss 10 on the same PostgreSQL (`send`; `work` with batchSize 1, and again with batchSize 20,
 *     pg-boss's own way to throughput: a worker then fetches and completes 20 jobs per round trip);
 *   - BullMQ 6 on the local Redis (`add`, a `Worker` with concurrency 1 per process), which keeps
 *     nothing on disk;
 *   - 'bullmq-durable': the same BullMQ work on a second Redis the bench starts itself, with an
 *     append-only file flushed on every write (`appendfsync always`): durable when it answers, as
 *     the PostgreSQL backends are. It shows what BullMQ's lead costs once it keeps what it acknowledged.
 *     Not one of the goals (those compare with the local Redis as it is).
 *   - two runs of the PostgreSQL store that are not Earshot, asked for by name only, to find where
 *     PostgreSQL's floor is (docs/benchmarks.md): 'postgres-bare' is the same store with every
 *     trigger, CHECK and secondary index the queue itself does not need dropped after migrating (the
 *     queue bound's counter, webhooks, search, word counts); 'postgres-bare-async' is that with
 *     `synchronous_commit = off` as well, so no commit waits for its flush.
 * Every task's "work" is nothing: what is measured is the queue. Earshot's workers claim once, then
 * complete each task and claim the next in one step (`completeAndClaim`), as the real worker does; the
 * completion also stores a (tiny) transcript and appends its events, as it does for real; the others
 * store a small result.
 * Usage: npx tsx bench/queue-throughput.ts [tasks=2000] [workers=4]
 *   [backends=sqlite,postgres,pg-boss,pg-boss-batch,bullmq,bullmq-durable] [modes=phased,pipelined]
 *   (also postgres-bare, postgres-bare-async when named)
 */
import { fork, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import PgBoss from 'pg-boss';
import type { Task } from '../src/core/task.js';
import type { Transcript } from '../src/core/transcript.js';
import { createStore } from '../src/store/create-store.js';
import type { NewTask, TaskStore } from '../src/store/task.store.js';
import { log } from './lib.js';

const PG_URL = process.env.EARSHOT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** BullMQ under ESM takes a constructed client; workers need maxRetriesPerRequest null. */
const redis = (port = 6379) => new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: null });
const BACKENDS = ['sqlite', 'postgres', 'pg-boss', 'pg-boss-batch', 'bullmq', 'bullmq-durable'] as const;
/** The floor experiment's stores (see above); run only when named. */
const FLOOR_BACKENDS = ['postgres-bare', 'postgres-bare-async'] as const;
/** pg-boss fetches this many jobs per poll in its 'pg-boss-batch' run (its way to throughput). */
const PG_BOSS_BATCH = 20;
type Backend = (typeof BACKENDS)[number] | (typeof FLOOR_BACKENDS)[number];
/** Backends driven through Earshot's TaskStore. */
const isEarshot = (b: Backend) =>
  b === 'sqlite' || b === 'postgres' || b === 'postgres-bare' || b === 'postgres-bare-async';

/**
 * What 'postgres-bare' drops after migrating: everything on the task path that a queue alone does
 * not need. Features go with it (the queue bound, webhooks, search, word counts, event reads by task,
 * user or age, status counts, and the schema's CHECKs), so it is a measurement, never a deployment.
 */
const BARE_SQL = `
DROP TRIGGER tasks_queue_depth_delete ON tasks; DROP TRIGGER tasks_queue_depth_enter ON tasks;
DROP TRIGGER tasks_queue_depth_insert ON tasks; DROP TRIGGER tasks_queue_depth_leave ON tasks;
DROP TRIGGER events_webhook_outbox ON events;
DROP TRIGGER transcripts_search_index ON transcripts; DROP TRIGGER transcripts_word_count ON transcripts;
DROP INDEX events_created_idx; DROP INDEX events_user_idx; DROP INDEX events_task_idx;
DROP INDEX tasks_status_idx; DROP INDEX tasks_user_title_idx; DROP INDEX tasks_created_idx;
ALTER TABLE tasks DROP CONSTRAINT tasks_check, DROP CONSTRAINT tasks_status_check,
  DROP CONSTRAINT tasks_title_check, DROP CONSTRAINT tasks_attempts_check, DROP CONSTRAINT tasks_max_attempts_check;`;

/** What a worker process needs to find its queue. */
interface Target {
  backend: Backend;
  /** Store URL (Earshot), schema (pg-boss) or queue name (BullMQ). */
  where: string;
  /** BullMQ's Redis port. */
  port?: number;
}

const TRANSCRIPT: Transcript = { language: 'en', duration: 1, segments: [], text: '' };
const LEASE_MS = 30_000;
/** How often a worker reports its count to the parent; the timing's resolution. */
const REPORT_MS = 5;

// ------------------------------------------------------------------------------------------------
// Worker process: claim and complete until told to stop, reporting the count every REPORT_MS.
// ------------------------------------------------------------------------------------------------
async function runWorker(target: Target): Promise<void> {
  let done = 0;
  let reported = 0;
  const report = setInterval(() => {
    if (done !== reported) {
      reported = done;
      process.send?.({ done });
    }
  }, REPORT_MS);
  let start: () => Promise<void>;
  let stop: () => Promise<void>;
  if (isEarshot(target.backend)) {
    const store = createStore(target.where, { poolSize: 2 });
    await store.countByStatus(); // connected before the clock starts
    const id = `bench-${process.pid}`;
    let running = true;
    let loop: Promise<void> = Promise.resolve();
    start = async () => {
      loop = (async () => {
        // As the real worker: a task's completion also claims the next one (one commit per task).
        let task: Task | null = null;
        while (running) {
          task ??= await store.claim(id, LEASE_MS);
          if (task === null) {
            await new Promise((r) => setTimeout(r, REPORT_MS));
            continue;
          }
          const { completed, next } = await store.completeAndClaim(task.id, id, TRANSCRIPT, LEASE_MS);
          if (!completed) throw new Error('lost a lease');
          done += 1;
          task = next;
        }
      })();
    };
    stop = async () => {
      running = false;
      await loop;
      await store.close();
    };
  } else if (target.backend === 'pg-boss' || target.backend === 'pg-boss-batch') {
    const boss = new PgBoss({ connectionString: PG_URL, schema: target.where, max: 2, supervise: false });
    await boss.start();
    const batchSize = target.backend === 'pg-boss' ? 1 : PG_BOSS_BATCH;
    start = async () => {
      // The handler gets the batch; its jobs are completed together when it resolves.
      await boss.work('bench', { batchSize, pollingIntervalSeconds: 0.5 }, async (jobs) => {
        done += jobs.length;
        return { ok: true };
      });
    };
    stop = () => boss.stop({ graceful: false, wait: true });
  } else {
    const worker = new Worker(
      target.where,
      async () => {
        done += 1;
        return { ok: true };
      },
      { connection: redis(target.port), concurrency: 1, autorun: false },
    );
    await worker.waitUntilReady();
    start = async () => {
      void worker.run();
    };
    stop = () => worker.close();
  }
  process.on('message', (msg: { go?: boolean; stop?: boolean }) => {
    if (msg.go) void start();
    if (!msg.stop) return;
    clearInterval(report);
    void stop().then(() => process.exit(0));
  });
  process.send?.({ ready: true });
}

// ------------------------------------------------------------------------------------------------
// Parent: set up each backend, enqueue, drain with W workers, tear down.
// ------------------------------------------------------------------------------------------------
interface Producer {
  enqueue(i: number): Promise<void>;
  close(): Promise<void>;
}

async function earshotProducer(url: string, bare?: { schema: string }): Promise<Producer> {
  const store: TaskStore = createStore(url);
  await store.migrate();
  if (bare) {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`SET search_path TO "${bare.schema}"; ${BARE_SQL}`);
    await client.end();
  }
  const user = await store.createUser(`bench-${randomUUID()}`, 'user', randomBytes(16).toString('hex'));
  const task = (): NewTask => ({
    id: randomUUID(),
    userId: user.id,
    priority: 0,
    sourceName: 'clip.wav',
    mediaPath: '/nonexistent/clip.wav',
    mediaBytes: 1,
    options: { language: 'en', formats: ['json'] },
    callbackUrl: null,
    maxAttempts: 3,
    durationSeconds: 1,
  });
  return {
    enqueue: async () => {
      await store.enqueue(task(), Number.MAX_SAFE_INTEGER);
    },
    close: () => store.close(),
  };
}

async function setUp(backend: Backend): Promise<{ target: Target; producer: Producer; tearDown(): Promise<void> }> {
  const suffix = randomBytes(4).toString('hex');
  if (backend === 'sqlite') {
    const url = `sqlite:${join(await mkdtemp(join(tmpdir(), 'earshot-bench-queue-')), 'earshot.db')}`;
    return { target: { backend, where: url }, producer: await earshotProducer(url), tearDown: async () => {} };
  }
  if (backend !== 'bullmq' && backend !== 'bullmq-durable') {
    const schema = `bench_queue_${suffix}`;
    const dropSchema = async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    };
    if (backend === 'postgres') {
      const url = `${PG_URL}?schema=${schema}`;
      return { target: { backend, where: url }, producer: await earshotProducer(url), tearDown: dropSchema };
    }
    if (backend === 'postgres-bare' || backend === 'postgres-bare-async') {
      // Every connection, the producer's and the workers', commits without waiting for the flush.
      const async =
        backend === 'postgres-bare-async' ? `&options=${encodeURIComponent('-c synchronous_commit=off')}` : '';
      const url = `${PG_URL}?schema=${schema}${async}`;
      return {
        target: { backend, where: url },
        producer: await earshotProducer(url, { schema }),
        tearDown: dropSchema,
      };
    }
    const boss = new PgBoss({ connectionString: PG_URL, schema, max: 2, supervise: false });
    await boss.start();
    await boss.createQueue('bench');
    return {
      target: { backend, where: schema },
      producer: {
        enqueue: async (i) => {
          await boss.send('bench', { i });
        },
        close: () => boss.stop({ graceful: false, wait: true }),
      },
      tearDown: dropSchema,
    };
  }
  const name = `earshot-bench-${suffix}`;
  const durable = backend === 'bullmq-durable' ? await durableRedis() : null;
  const port = durable?.port ?? 6379;
  // BullMQ leaves a connection it was given open: it is quit here, or it would keep the bench alive.
  const connection = redis(port);
  const queue = new Queue(name, { connection });
  return {
    target: { backend, where: name, port },
    producer: {
      enqueue: async (i) => {
        await queue.add('bench', { i });
      },
      close: async () => {
        await queue.obliterate({ force: true });
        await queue.close();
        await connection.quit();
      },
    },
    tearDown: async () => {
      await durable?.stop();
    },
  };
}

/**
 * A Redis of the bench's own, in a temporary directory, that appends every write to its AOF and
 * fsyncs it before answering. Its port is picked by the kernel (a listener closed just before).
 */
async function durableRedis(): Promise<{ port: number; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'earshot-bench-redis-'));
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
  const server = spawn(
    'redis-server',
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
    ],
    { stdio: 'ignore' },
  );
  // A bench that dies between here and stop() must not leave its Redis running.
  const orphaned = () => server.kill('SIGKILL');
  process.once('exit', orphaned);
  const client = redis(port);
  // ioredis retries until the server listens; the refusals before that are expected, and 'ready'
  // comes once it answers.
  client.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve);
    server.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  const [, fsync] = (await client.config('GET', 'appendfsync')) as string[];
  if (fsync !== 'always') throw new Error(`the bench's Redis runs with appendfsync ${fsync}`);
  await client.quit();
  return {
    port,
    stop: async () => {
      process.off('exit', orphaned);
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const round = (x: number, d = 1) => Number(x.toFixed(d));

type Mode = 'phased' | 'pipelined';

async function measure(backend: Backend, tasks: number, workers: number, mode: Mode) {
  const { target, producer, tearDown } = await setUp(backend);
  try {
    let enqueueSeconds = 0;
    const enqueueAll = async () => {
      const enqueueStart = performance.now();
      for (let i = 0; i < tasks; i++) await producer.enqueue(i);
      enqueueSeconds = (performance.now() - enqueueStart) / 1000;
    };
    if (mode === 'phased') await enqueueAll();

    const script = fileURLToPath(import.meta.url);
    const children = Array.from({ length: workers }, () =>
      fork(script, ['--worker', JSON.stringify(target)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    const counts = new Map<number, number>();
    let drainStart = 0;
    const drained = new Promise<number>((resolve, reject) => {
      let ready = 0;
      for (const [i, child] of children.entries()) {
        child.on('exit', (code) => {
          if (code !== 0) reject(new Error(`${backend} worker exited with ${code}`));
        });
        child.on('message', (msg: { ready?: boolean; done?: number }) => {
          if (msg.ready && ++ready === workers) {
            drainStart = performance.now();
            for (const c of children) c.send({ go: true });
            if (mode === 'pipelined') enqueueAll().catch(reject);
          }
          if (msg.done !== undefined) {
            counts.set(i, msg.done);
            const total = [...counts.values()].reduce((a, b) => a + b, 0);
            if (total >= tasks) resolve(performance.now());
          }
        });
      }
    });
    const drainSeconds = ((await drained) - drainStart) / 1000;
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((r) => {
            c.once('exit', () => r());
            c.send({ stop: true });
          }),
      ),
    );
    // Pipelined, the drain's clock already covers the enqueue (it starts before the first one).
    const result = {
      backend,
      mode,
      tasks,
      workers,
      enqueuePerSecond: round(tasks / enqueueSeconds),
      claimCompletePerSecond: mode === 'phased' ? round(tasks / drainSeconds) : null,
      endToEndPerSecond: round(tasks / (mode === 'phased' ? enqueueSeconds + drainSeconds : drainSeconds)),
      perWorker: [...counts.values()],
    };
    log(JSON.stringify(result));
    return result;
  } finally {
    await producer.close();
    await tearDown();
  }
}

if (process.argv[2] === '--worker') {
  await runWorker(JSON.parse(process.argv[3] as string) as Target);
} else {
  const tasks = Number(process.argv[2] ?? 2000);
  const workers = Number(process.argv[3] ?? 4);
  const chosen = (process.argv[4]?.split(',') ?? [...BACKENDS]) as Backend[];
  const modes = (process.argv[5]?.split(',') ?? ['phased', 'pipelined']) as Mode[];
  const results: Awaited<ReturnType<typeof measure>>[] = [];
  for (const mode of modes) for (const backend of chosen) results.push(await measure(backend, tasks, workers, mode));
  const goals = (mode: Mode) => {
    const by = (b: Backend) => results.find((r) => r.backend === b && r.mode === mode)?.endToEndPerSecond ?? null;
    const best = Math.max(by('pg-boss') ?? 0, by('pg-boss-batch') ?? 0, by('bullmq') ?? 0);
    const sqlite = by('sqlite');
    const postgres = by('postgres');
    const durable = by('bullmq-durable');
    const bare = by('postgres-bare');
    const bareAsync = by('postgres-bare-async');
    return {
      postgresVsBestOther: postgres && best ? round(postgres / best, 2) : null,
      sqliteVsBestOther: sqlite && best ? round(sqlite / best, 2) : null,
      // Not a goal of the issue: PostgreSQL against BullMQ on a Redis as durable as it is.
      postgresVsDurableBullmq: postgres && durable ? round(postgres / durable, 2) : null,
      // The floor experiment (not Earshot): how near half the best other PostgreSQL gets with less.
      ...(bare && best ? { postgresBareVsBestOther: round(bare / best, 2) } : {}),
      ...(bareAsync && best ? { postgresBareAsyncVsBestOther: round(bareAsync / best, 2) } : {}),
    };
  };
  console.log(
    JSON.stringify({
      bench: 'queue-throughput',
      tasks,
      workers,
      results,
      goals: Object.fromEntries(modes.map((m) => [m, goals(m)])),
    }),
  );
}
