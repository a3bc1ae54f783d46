import type { RegisteredWorker, WorkerRegistration, WorkerRunState } from '../../core/worker-registration.js';
import { runState, workerFromRow } from '../worker.rows.js';
import type { PgDb } from './postgres.db.js';

/** The worker registry (see core/worker-registration.ts). Each function is one statement. */

const table = (db: PgDb) => `${db.t.schema}.workers`;

/** Inserts the worker's row, or replaces a row left under the same id: a new process starts running. */
export async function register(db: PgDb, w: WorkerRegistration, now: number): Promise<RegisteredWorker> {
  const row = await db.get(
    `INSERT INTO ${table(db)} (id, host, pid, engine, slots, version, task_ids, state, lease_ms, started_at, heartbeat_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, '[]', 'running', $7, $8, $8, $9)
     ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, engine = excluded.engine,
       slots = excluded.slots, version = excluded.version, task_ids = '[]', state = 'running',
       lease_ms = excluded.lease_ms, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,
       expires_at = excluded.expires_at
     RETURNING *`,
    [w.id, w.host, w.pid, w.engine, w.slots, w.version, w.leaseMs, now, now + w.leaseMs],
  );
  if (!row) throw new Error('INSERT … RETURNING returned no row');
  return workerFromRow(row, now);
}

export async function heartbeat(
  db: PgDb,
  id: string,
  taskIds: readonly string[],
  now: number,
): Promise<WorkerRunState | null> {
  const row = await db.get(
    `UPDATE ${table(db)} SET task_ids = $2::jsonb, heartbeat_at = $3::bigint, expires_at = $3::bigint + lease_ms WHERE id = $1 RETURNING state`,
    [id, JSON.stringify(taskIds), now],
  );
  return row ? runState(row.state) : null;
}

export async function list(db: PgDb, limit: number, now: number): Promise<RegisteredWorker[]> {
  const rows = await db.all(`SELECT * FROM ${table(db)} ORDER BY host, started_at, id LIMIT $1`, [
    Math.max(0, Math.floor(limit)),
  ]);
  return rows.map((r) => workerFromRow(r, now));
}

export async function setState(
  db: PgDb,
  id: string,
  state: WorkerRunState,
  now: number,
): Promise<RegisteredWorker | null> {
  const row = await db.get(`UPDATE ${table(db)} SET state = $2 WHERE id = $1 RETURNING *`, [id, state]);
  return row ? workerFromRow(row, now) : null;
}

export async function deregister(db: PgDb, id: string): Promise<boolean> {
  return (await db.run(`DELETE FROM ${table(db)} WHERE id = $1`, [id])) > 0;
}

export async function prune(db: PgDb, expiredBefore: number): Promise<number> {
  return db.run(`DELETE FROM ${table(db)} WHERE expires_at < $1`, [expiredBefore]);
}
