import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/create-store.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations/index.js';
import { PostgresTaskStore } from '../../src/store/postgres/postgres.store.js';
import type { TaskStore } from '../../src/store/task.store.js';
import { freshPgSchema, TEST_PG_URL, type TestSchema, truncatePgSchema } from '../helpers/pg.js';
import { newTask } from './conformance/fixtures.js';
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
});
