import Database from 'better-sqlite3';
import { ConflictError } from '../../core/errors/index.js';
import type { Row } from '../task.rows.js';
import type { Scope } from '../task.store.js';
import { SQLITE_MIGRATIONS } from './migrations/index.js';

export type Params = unknown[] | Record<string, unknown>;

/** WAL size, in pages, at which a commit checkpoints (see the constructor). */
const WAL_CHECKPOINT_PAGES = 10_000;

/**
 * One better-sqlite3 connection set up for a file several processes share (the HTTP server and the
 * workers), with a statement cache and the transaction discipline the store relies on.
 *
 * WAL lets readers run beside the single writer. Every write runs in `BEGIN IMMEDIATE`: the write
 * lock is taken up front (waiting up to busy_timeout), so a transaction never reads under a shared
 * lock and then fails to upgrade with SQLITE_BUSY, and a read-then-write (a claim choosing its task,
 * a bound check before an insert) cannot interleave with another process's writes.
 */
export class SqliteDb {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(path: string, busyTimeoutMs: number) {
    this.db = new Database(path);
    // busy_timeout first: switching to WAL itself needs a lock another process may hold.
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    this.db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL cannot corrupt the file; a power loss may drop only the last commits.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    // A checkpoint copies the WAL's pages back into the file and fsyncs it, in the process whose commit
    // crossed the threshold. At SQLite's default (1000 pages, 4 MB) a busy queue checkpoints every
    // ~70 transitions, copying the same hot pages (index edges, the counts row) each time; at 10,000
    // pages (a WAL of up to ~40 MB) those copies and fsyncs are ten times rarer. Measured with 4
    // workers: claim + complete 1950–2670 → 2980–4120 /s (docs/benchmarks.md).
    this.db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  }

  /** Applies pending migrations in one BEGIN IMMEDIATE, so concurrent callers apply each exactly once. */
  migrate(now: number): void {
    this.write(() => {
      this.db.exec(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`,
      );
      const applied = new Set(this.all('SELECT version FROM schema_migrations').map((r) => Number(r.version)));
      for (const m of SQLITE_MIGRATIONS) {
        if (applied.has(m.version)) continue;
        this.db.exec(m.sql);
        this.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          m.version,
          m.name,
          now,
        ]);
      }
    });
  }

  /** Runs `fn` in BEGIN IMMEDIATE; unique-constraint failures become ConflictError. */
  write<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      throw mapConstraintError(err);
    }
  }

  /** Runs `fn` in a read transaction, so its statements see one snapshot. */
  read<T>(fn: () => T): T {
    return this.db.transaction(fn).deferred();
  }

  get(sql: string, params: Params = []): Row | undefined {
    return this.statement(sql).get(params) as Row | undefined;
  }

  all(sql: string, params: Params = []): Row[] {
    return this.statement(sql).all(params) as Row[];
  }

  run(sql: string, params: Params = []): Database.RunResult {
    return this.statement(sql).run(params);
  }

  close(): void {
    this.statements.clear();
    if (this.db.open) this.db.close();
  }

  /** Statements are prepared on first use (not up front: tables may not exist before migrate()). */
  private statement(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }
}

/** The scope as an SQL suffix (named parameter @scopeUserId); admins see every task. */
export function scopeSql(scope: Scope): { sql: string; params: Record<string, unknown> } {
  return 'admin' in scope
    ? { sql: '', params: {} }
    : { sql: ' AND user_id = @scopeUserId', params: { scopeUserId: scope.userId } };
}

function mapConstraintError(err: unknown): unknown {
  if (!(err instanceof Database.SqliteError)) return err;
  if (err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const what = /users\.(name|token_hash)/.test(err.message) ? 'user_exists' : 'already_exists';
    return new ConflictError(`already exists (${err.message.replace(/^UNIQUE constraint failed: /, '')})`, what);
  }
  return err;
}
