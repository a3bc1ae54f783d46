/**
 * A PostgreSQL connection dropped in the middle of a transaction (pg_terminate_backend, a server
 * restart) must fail that transaction, not the process: the pool does not listen for errors on a
 * checked-out client, so the store has to. Afterwards the pool hands out a fresh connection.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDb } from '../../src/store/postgres/postgres.db.js';
import { freshPgSchema, TEST_PG_URL, type TestSchema } from '../helpers/pg.js';

let schema: TestSchema;
let admin: pg.Client;
let db: PgDb;

beforeAll(async () => {
  schema = await freshPgSchema();
  admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  db = new PgDb(TEST_PG_URL, schema.schema, { poolSize: 2 });
  await db.migrate(Date.now());
});

afterAll(async () => {
  await db?.close();
  await admin?.end();
  await schema?.drop();
});

async function backendGone(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
    if (rowCount === 0) return;
    if (Date.now() > deadline) throw new Error(`backend ${pid} still there`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('PostgreSQL connection lost inside a transaction', () => {
  it('fails the transaction without an unhandled error, and the next statement gets a fresh connection', async () => {
    let victim = 0;
    const tx = db.tx(async (q) => {
      victim = Number((await q.get('SELECT pg_backend_pid() AS pid'))?.pid);
      const { rows } = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [victim]);
      expect(rows[0]?.ok).toBe(true);
      // Idle between statements while the termination arrives: this is when the client emits 'error'.
      await backendGone(victim);
      await new Promise((r) => setImmediate(r));
      return q.get('SELECT 1 AS one');
    });
    await expect(tx).rejects.toThrow();
    const again = await db.get('SELECT pg_backend_pid() AS pid');
    expect(Number(again?.pid)).not.toBe(victim);
  });
});
