import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueFullError } from '../../src/core/errors/index.js';
import { createStore } from '../../src/store/create-store.js';
import { QUEUE_DEPTH_ROWS } from '../../src/store/postgres/migrations/0014-queue-depth.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations/index.js';
import { PostgresTaskStore } from '../../src/store/postgres/postgres.store.js';
import type { TaskStore } from '../../src/store/task.store.js';
import { freshPgSchema, TEST_PG_URL, type TestSchema, truncatePgSchema } from '../helpers/pg.js';
import { FakeClock, LEASE, must, newTask } from './conformance/fixtures.js';
import { taskStoreConformance } from './conformance/index.js';

let schema: TestSchema;
const extraSchemas: TestSchema[] = [];

beforeAll(async () => {
  schema = await freshPgSchema();
});

afterAll(async () => {
  await schema.drop();
  for (const s of extraSchemas) await s.drop();
});

taskStoreConformance('postgres', {
  async fresh() {
    await truncatePgSchema(schema.schema);
    return (opts) => new PostgresTaskStore(TEST_PG_URL, { ...opts, schema: schema.schema, poolSize: 12 });
  },
  async updateTranscriptJson(taskId, transcript) {
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    try {
      await client.query(`UPDATE "${schema.schema}".transcripts SET json = $1 WHERE task_id = $2`, [
        JSON.stringify(transcript),
        taskId,
      ]);
    } finally {
      await client.end();
    }
  },
});

describe('PostgresTaskStore', () => {
  const track = async (): Promise<TestSchema> => {
    const s = await freshPgSchema();
    extraSchemas.push(s);
    return s;
  };

  it('migrates a new schema from several instances at once, each migration applied once', async () => {
    const s = await track();
    const stores: TaskStore[] = Array.from({ length: 4 }, () => createStore(s.url));
    try {
      await Promise.all(stores.map((st) => st.migrate()));
      await stores[0]?.migrate();
      const client = new pg.Client({ connectionString: TEST_PG_URL });
      await client.connect();
      try {
        const { rows } = await client.query(
          `SELECT version, name FROM "${s.schema}".schema_migrations ORDER BY version`,
        );
        expect(rows).toEqual(POSTGRES_MIGRATIONS.map(({ version, name }) => ({ version, name })));
        expect(rows.length).toBeGreaterThan(1);
      } finally {
        await client.end();
      }
    } finally {
      for (const st of stores) await st.close();
    }
  });

  it('gives a user without a webhook secret (created before migration 4) one on first use', async () => {
    const s = await track();
    const store = createStore(s.url);
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    try {
      await store.migrate();
      const user = await store.createUser('old', 'user', 'h');
      await client.query(`UPDATE "${s.schema}".users SET webhook_secret = NULL`);
      const made = await Promise.all([store.webhookSecret(user.id), store.webhookSecret(user.id)]);
      expect(made[0]).toMatch(/^whsec_/);
      // Two first uses at once agree on one secret.
      expect(made[1]).toBe(made[0]);
      const { rows } = await client.query(`SELECT webhook_secret FROM "${s.schema}".users`);
      expect(rows).toEqual([{ webhook_secret: made[0] }]);
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('indexes transcripts stored before migration 8 (and 11 gives their segments the user)', async () => {
    const s = await track();
    const store = createStore(s.url);
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    try {
      await store.migrate();
      const segments = [{ start: 1, end: 2, text: 'an older transcript about lighthouses', words: [] }];
      const task = await store.addFinished(newTask({ userId: 'u', sourceName: 'old.wav', durationSeconds: 2 }), {
        language: 'en',
        duration: 2,
        segments,
        text: 'an older transcript about lighthouses',
      });
      // Back to the schema before migration 8: the transcript is stored, nothing is indexed. 8 then
      // indexes it without owners, 11 fills them in, 13 keys them by position.
      await client.query(`DROP TABLE "${s.schema}".transcript_segments;
        DROP FUNCTION "${s.schema}".transcript_search_index() CASCADE;
        DELETE FROM "${s.schema}".schema_migrations WHERE version IN (8, 11, 13)`);
      await store.migrate();
      const hits = await store.searchTranscripts({ userId: 'u' }, 'lighthouse', { limit: 10, offset: 0 });
      expect(hits).toEqual([
        {
          taskId: task.id,
          sourceName: 'old.wav',
          segmentIndex: 0,
          start: 1,
          end: 2,
          snippet: expect.stringContaining('«lighthouses»'),
        },
      ]);
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('keeps schemas apart: a store sees only its own schema', async () => {
    const s1 = await track();
    const s2 = await track();
    const a = createStore(s1.url);
    const b = createStore(TEST_PG_URL, { schema: s2.schema });
    try {
      await a.migrate();
      await b.migrate();
      await a.createUser('only-in-a', 'user', 'h');
      expect(await a.listUsers()).toHaveLength(1);
      expect(await b.listUsers()).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('rejects an unsafe schema name', () => {
    expect(() => new PostgresTaskStore(TEST_PG_URL, { schema: 'x"; DROP TABLE y; --' })).toThrow(/schema name/);
  });

  it('maps BIGINT ms timestamps and sizes to numbers', async () => {
    const store = new PostgresTaskStore(TEST_PG_URL, { schema: schema.schema });
    try {
      await store.migrate();
      const task = await store.enqueue(
        {
          id: randomUUID(),
          userId: 'u',
          priority: 0,
          sourceName: 's.wav',
          mediaPath: '/m',
          mediaBytes: 5 * 1024 ** 3,
          options: { language: 'en', formats: ['txt'] },
          callbackUrl: null,
          maxAttempts: 1,
          durationSeconds: null,
        },
        Number.POSITIVE_INFINITY,
      );
      const read = await store.get(task.id, { admin: true });
      expect(typeof read?.createdAt).toBe('number');
      expect(read?.mediaBytes).toBe(5 * 1024 ** 3);
      const [event] = await store.readEvents(0, 1, { taskId: task.id });
      expect(typeof event?.seq).toBe('number');
    } finally {
      await store.close();
    }
  });

  describe("the queue bound's count (migration 14)", () => {
    /** The count the bound reads, and the queued tasks counted directly. */
    const depthOf = async (client: pg.Client, name: string) => {
      const { rows } = await client.query(
        `SELECT (SELECT coalesce(sum(queued), 0) FROM "${name}".queue_depth)::int AS depth,
                (SELECT count(*) FROM "${name}".tasks WHERE status = 'queued')::int AS queued`,
      );
      return rows[0] as { depth: number; queued: number };
    };

    it('stays equal to the queued tasks through every transition in and out of the queue', async () => {
      const s = await track();
      const clock = new FakeClock();
      const store = new PostgresTaskStore(TEST_PG_URL, { schema: s.schema, poolSize: 4, now: clock.now });
      const client = new pg.Client({ connectionString: TEST_PG_URL });
      await client.connect();
      const steps: string[] = [];
      const check = async (step: string) => {
        const { depth, queued } = await depthOf(client, s.schema);
        steps.push(`${step}: ${depth}/${queued}`);
        expect(depth, steps.join('; ')).toBe(queued);
      };
      try {
        await store.migrate();
        await check('empty');
        const tasks = [];
        for (let i = 0; i < 8; i++) tasks.push(await store.enqueue(newTask({ maxAttempts: 2 }), 100));
        await check('enqueued 8');
        const [a, b, c] = [
          await store.claim('w1', LEASE),
          await store.claim('w2', LEASE),
          await store.claim('w3', LEASE),
        ];
        await check('claimed 3');
        await store.fail(must(a).id, 'w1', { code: 'engine_failed', message: 'x', retryable: true });
        await check('a retryable failure requeues');
        await store.release(must(b).id, 'w2');
        await check('a release requeues');
        clock.advance(LEASE + 1);
        expect(await store.reclaimExpired(clock.t)).toBe(1);
        await check('an expired lease requeues');
        await store.cancel(must(tasks[7]).id, { admin: true });
        await check('a queued task cancelled');
        await store.remove(must(tasks[6]).id, { admin: true });
        await check('a queued task deleted');
        clock.advance(60_000); // past the retry backoff
        const d = must(await store.claim('w4', LEASE));
        const transcript = { language: 'en', duration: 1, segments: [], text: '' };
        const { next } = await store.completeAndClaim(d.id, 'w4', transcript, LEASE);
        await check('completed one and claimed the next in one statement');
        await store.fail(must(next).id, 'w4', { code: 'bad_audio', message: 'x', retryable: false });
        await check('a final failure');
        await store.retry(must(next).id, { admin: true });
        await check("a user's retry requeues");
        await store.remove(must(c).id, { admin: true });
        await check('a task deleted');
        // The bound reads this count: full at exactly the queued number, room for one more below it.
        const { queued } = await depthOf(client, s.schema);
        await expect(store.enqueue(newTask(), queued)).rejects.toBeInstanceOf(QueueFullError);
        await expect(store.enqueue(newTask(), queued + 1)).resolves.toMatchObject({ status: 'queued' });
        await check('the bound admitted one');
      } finally {
        await client.end();
        await store.close();
      }
    });

    it('folds the rows of ended backends into one, and the count stays exact', async () => {
      const s = await track();
      const store = new PostgresTaskStore(TEST_PG_URL, { schema: s.schema, poolSize: 1 });
      const client = new pg.Client({ connectionString: TEST_PG_URL });
      await client.connect();
      try {
        await store.migrate();
        // Each short-lived store is its own backend and leaves a row behind.
        // Row 0 (the migration's) and one per store: one row short of a fold.
        for (let i = 0; i < QUEUE_DEPTH_ROWS; i++) {
          const once = new PostgresTaskStore(TEST_PG_URL, { schema: s.schema, poolSize: 1 });
          await once.enqueue(newTask(), 1000);
          await once.close();
        }
        const rowsOf = async () =>
          (await client.query(`SELECT backend, queued::int FROM "${s.schema}".queue_depth ORDER BY backend`)).rows as {
            backend: number;
            queued: number;
          }[];
        const left = await rowsOf();
        expect(left.length).toBe(QUEUE_DEPTH_ROWS + 1);
        // A closed connection's backend exits a moment after the client closes the socket.
        const pids = left.map((r) => r.backend).filter((pid) => pid !== 0);
        const deadline = Date.now() + 15_000;
        for (;;) {
          const { rows } = await client.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1)', [
            pids,
          ]);
          if (rows[0].n === 0) break;
          if (Date.now() > deadline) throw new Error("the closed stores' backends did not exit");
          await new Promise((r) => setTimeout(r, 10));
        }
        // The next enqueue folds them into row 0; its own backend's row is the only other one.
        await store.enqueue(newTask(), 1000);
        const after = await rowsOf();
        expect(after).toEqual([
          { backend: 0, queued: QUEUE_DEPTH_ROWS },
          { backend: expect.any(Number), queued: 1 },
        ]);
        expect(await depthOf(client, s.schema)).toEqual({ depth: QUEUE_DEPTH_ROWS + 1, queued: QUEUE_DEPTH_ROWS + 1 });
      } finally {
        await client.end();
        await store.close();
      }
    });
  });
});
