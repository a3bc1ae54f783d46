import type { RegisteredWorker, WorkerRegistration, WorkerRunState } from '../../core/worker-registration.js';
import { runState, workerFromRow } from '../worker.rows.js';
import type { SqliteDb } from './sqlite.db.js';

/** The worker registry (see core/worker-registration.ts). Each function is one statement. */

/** Inserts the worker's row, or replaces a row left under the same id: a new process starts running. */
export function register(db: SqliteDb, w: WorkerRegistration, now: number): RegisteredWorker {
  const row = db.write(() =>
    db.get(
      `INSERT INTO workers (id, host, pid, engine, slots, version, task_ids, state, lease_ms, started_at, heartbeat_at, expires_at)
       VALUES (@id, @host, @pid, @engine, @slots, @version, '[]', 'running', @leaseMs, @now, @now, @expires)
       ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, engine = excluded.engine,
         slots = excluded.slots, version = excluded.version, task_ids = '[]', state = 'running',
         lease_ms = excluded.lease_ms, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,
         expires_at = excluded.expires_at
       RETURNING *`,
      { ...w, now, expires: now + w.leaseMs },
    ),
  );
  if (!row) throw new Error('INSERT … RETURNING returned no row');
  return workerFromRow(row, now);
}

export function heartbeat(db: SqliteDb, id: string, taskIds: readonly string[], now: number): WorkerRunState | null {
  const row = db.write(() =>
    db.get(
      `UPDATE workers SET task_ids = @taskIds, heartbeat_at = @now, expires_at = @now + lease_ms
       WHERE id = @id RETURNING state`,
      { id, taskIds: JSON.stringify(taskIds), now },
    ),
  );
  return row ? runState(row.state) : null;
}

export function list(db: SqliteDb, limit: number, now: number): RegisteredWorker[] {
  return db
    .all('SELECT * FROM workers ORDER BY host, started_at, id LIMIT ?', [Math.max(0, Math.floor(limit))])
    .map((r) => workerFromRow(r, now));
}

export function setState(db: SqliteDb, id: string, state: WorkerRunState, now: number): RegisteredWorker | null {
  const row = db.write(() => db.get('UPDATE workers SET state = ? WHERE id = ? RETURNING *', [state, id]));
  return row ? workerFromRow(row, now) : null;
}

export function deregister(db: SqliteDb, id: string): boolean {
  return db.write(() => db.run('DELETE FROM workers WHERE id = ?', [id]).changes > 0);
}

export function prune(db: SqliteDb, expiredBefore: number): number {
  return db.write(() => db.run('DELETE FROM workers WHERE expires_at < ?', [expiredBefore]).changes);
}
