import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL the tests use (start it with `bash scripts/start-services.sh`). */
export const TEST_PG_URL = process.env.EARSHOT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  /** A fresh schema name, unique to this test file run; migrate() creates it. */
  schema: string;
  /** TEST_PG_URL with `?schema=` set, for createStore(). */
  url: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/**
 * A fresh PostgreSQL schema for one test file (parallel test files never share tables), dropped
 * by `drop()` in afterAll. Fails with a readable message when PostgreSQL is not reachable.
 */
export async function freshPgSchema(prefix = 'earshot_test'): Promise<TestSchema> {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withClient(async () => {}); // fail early, with the hint, if the server is down
  const url = new URL(TEST_PG_URL);
  url.searchParams.set('schema', schema);
  return {
    schema,
    url: url.toString(),
    drop: () => withClient((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).then(() => undefined)),
  };
}

/** Empties the store's tables in `schema` (between tests of one file), keeping the migrations. */
export async function truncatePgSchema(schema: string): Promise<void> {
  await withClient(async (c) => {
    const { rows } = await c.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'schema_migrations'",
      [schema],
    );
    if (rows.length === 0) return;
    const tables = rows.map((r) => `"${schema}"."${r.tablename}"`).join(', ');
    await c.query(`TRUNCATE ${tables} RESTART IDENTITY CASCADE`);
  });
}

async function withClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at ${TEST_PG_URL} (run: bash scripts/start-services.sh)`, {
      cause: err,
    });
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
