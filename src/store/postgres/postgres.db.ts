import { createHash } from 'node:crypto';
import pg from 'pg';
import { ConflictError } from '../../core/errors/index.js';
import type { StoreLogger } from '../store-options.js';
import type { Row } from '../task.rows.js';
import { POSTGRES_MIGRATIONS } from './migrations/index.js';

/** Statements against the pool (each its own transaction) or inside one transaction. */
export interface PgQuery {
  all(sql: string, params?: unknown[]): Promise<Row[]>;
  get(sql: string, params?: unknown[]): Promise<Row | undefined>;
  /** Rows affected. */
  run(sql: string, params?: unknown[]): Promise<number>;
}

/** Fully qualified table names: queries never depend on a connection's search_path. */
export interface PgTables {
  schema: string;
  users: string;
  tasks: string;
  chunks: string;
  transcripts: string;
  events: string;
  artifacts: string;
  artifactResults: string;
  migrations: string;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * A pg Pool bound to one schema. Several stores (tests, or separate deployments) can share a
 * database as long as their schemas differ.
 */
export class PgDb implements PgQuery {
  readonly t: PgTables;
  private readonly pool: pg.Pool;
  private readonly keys: { migrate: string; sequence: string; enqueue: string; artifacts: string };
  private closed = false;

  constructor(connectionString: string, schema: string, opts: { poolSize?: number; log?: StoreLogger }) {
    if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${JSON.stringify(schema)}`);
    const s = `"${schema}"`;
    this.t = {
      schema: s,
      users: `${s}.users`,
      tasks: `${s}.tasks`,
      chunks: `${s}.chunks`,
      transcripts: `${s}.transcripts`,
      events: `${s}.events`,
      artifacts: `${s}.artifacts`,
      artifactResults: `${s}.artifact_results`,
      migrations: `${s}.schema_migrations`,
    };
    this.keys = {
      migrate: `earshot:migrate:${schema}`,
      sequence: `earshot:sequence:${schema}`,
      enqueue: `earshot:enqueue:${schema}`,
      artifacts: `earshot:artifacts:${schema}`,
    };
    this.pool = new pg.Pool({ connectionString, max: opts.poolSize ?? 10 });
    // Without a listener, an idle connection dropped by the server would crash the process; the pool
    // already discards that client and the next query opens a fresh one.
    this.pool.on('error', (err) => opts.log?.warn({ err }, 'idle PostgreSQL connection failed'));
  }

  /**
   * Applies pending migrations in one transaction under an advisory lock, so concurrent callers
   * (server and workers starting together) wait for each other and apply each migration once.
   * Creates the schema if needed; migrations run with search_path set to it.
   */
  async migrate(now: number): Promise<void> {
    await this.tx(async (q) => {
      await q.run('SELECT pg_advisory_xact_lock(hashtext($1))', [this.keys.migrate]);
      await q.run(`CREATE SCHEMA IF NOT EXISTS ${this.t.schema}`);
      await q.run(
        `CREATE TABLE IF NOT EXISTS ${this.t.migrations} (
           version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
      );
      const applied = new Set((await q.all(`SELECT version FROM ${this.t.migrations}`)).map((r) => Number(r.version)));
      await q.run(`SET LOCAL search_path TO ${this.t.schema}`);
      for (const m of POSTGRES_MIGRATIONS) {
        if (applied.has(m.version)) continue;
        await q.run(m.sql);
        await q.run(`INSERT INTO ${this.t.migrations} (version, name, applied_at) VALUES ($1, $2, $3)`, [
          m.version,
          m.name,
          now,
        ]);
      }
    });
  }

  /**
   * tx() holding advisory lock `key` from the start: BEGIN and the lock go in one round trip (a
   * simple query may hold two statements; the key is a literal built from the checked schema name).
   * Every statement of `fn` then has a snapshot taken after the lock was granted. 'sequence': one
   * event sequencer at a time (see postgres.events.ts).
   */
  txWithLock<T>(key: 'sequence', fn: (q: PgQuery) => Promise<T>): Promise<T> {
    return this.transaction(`BEGIN; SELECT pg_advisory_xact_lock(hashtext('${this.keys[key]}'))`, fn);
  }

  /** The enqueue lock's key as SQL (for queued_count_locked; a literal from the checked schema name). */
  get enqueueLockKeySql(): string {
    return `hashtext('${this.keys.enqueue}')`;
  }

  /**
   * Serialises artifact claims until commit, so the running count and the take are one atomic step
   * (the per-deployment concurrency bound). Claims are rare and short; rows are still taken with
   * SKIP LOCKED so a claim never waits for a user's request on the same row.
   */
  async lockArtifactClaims(q: PgQuery): Promise<void> {
    await q.run('SELECT pg_advisory_xact_lock(hashtext($1))', [this.keys.artifacts]);
  }

  /** Runs `fn` in a READ COMMITTED transaction on one connection; unique violations become ConflictError. */
  tx<T>(fn: (q: PgQuery) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN', fn);
  }

  /** A read-only snapshot: every statement in `fn` sees the same data. */
  read<T>(fn: (q: PgQuery) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', fn);
  }

  async all(sql: string, params: unknown[] = []): Promise<Row[]> {
    return queryOn(this.pool, sql, params).then((r) => r.rows);
  }

  async get(sql: string, params: unknown[] = []): Promise<Row | undefined> {
    return (await this.all(sql, params))[0];
  }

  async run(sql: string, params: unknown[] = []): Promise<number> {
    return queryOn(this.pool, sql, params).then((r) => r.rowCount ?? 0);
  }

  /** Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async transaction<T>(begin: string, fn: (q: PgQuery) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // The pool listens for errors only on idle clients. A checked-out connection dropped between two
    // statements (pg_terminate_backend, a server restart) would otherwise be an unhandled 'error' that
    // kills the process; the statement in flight or the next one fails by itself, and the client is
    // then destroyed instead of going back to the pool.
    let lost: Error | undefined;
    const onError = (err: Error): void => {
      lost = err;
    };
    client.on('error', onError);
    const q: PgQuery = {
      all: async (sql, params = []) => (await queryOn(client, sql, params)).rows,
      get: async (sql, params = []) => (await queryOn(client, sql, params)).rows[0],
      run: async (sql, params = []) => (await queryOn(client, sql, params)).rowCount ?? 0,
    };
    let broken: Error | undefined;
    try {
      await client.query(begin);
      const result = await fn(q);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A connection that cannot even roll back is destroyed instead of going back to the pool.
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
      });
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken ?? lost);
    }
  }
}

/**
 * Names for parameterised statements, so each connection parses and plans a statement once and then
 * only binds and executes it: planning was a large part of a transition's time. The statement texts
 * are the adapters' fixed templates, so there are few; the map is bounded anyway, and a text past the
 * bound simply runs unnamed. Statements without parameters (migrations, which hold several
 * statements) always run as simple queries.
 */
const STATEMENT_NAMES = new Map<string, string>();
const MAX_NAMED_STATEMENTS = 500;

function statementName(sql: string): string | undefined {
  let name = STATEMENT_NAMES.get(sql);
  if (name === undefined && STATEMENT_NAMES.size < MAX_NAMED_STATEMENTS) {
    name = `earshot_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
    STATEMENT_NAMES.set(sql, name);
  }
  return name;
}

async function queryOn(on: pg.Pool | pg.PoolClient, sql: string, params: unknown[]): Promise<pg.QueryResult<Row>> {
  try {
    const name = params.length > 0 ? statementName(sql) : undefined;
    return name === undefined
      ? await on.query<Row>(sql, params)
      : await on.query<Row>({ name, text: sql, values: params });
  } catch (err) {
    throw mapConstraintError(err);
  }
}

function mapConstraintError(err: unknown): unknown {
  if (!(err instanceof pg.DatabaseError) || err.code !== '23505') return err;
  const constraint = err.constraint ?? '';
  const code = constraint.startsWith('users_') ? 'user_exists' : 'already_exists';
  return new ConflictError(`already exists (${constraint || err.message})`, code);
}
