import { type RegisteredWorker, WORKER_RUN_STATES, type WorkerRunState } from '../core/worker-registration.js';
import type { Row } from './task.rows.js';

/** Registry row -> domain, for both dialects (PostgreSQL: BIGINT as strings, jsonb parsed; SQLite: JSON text). */
export function workerFromRow(r: Row, now: number): RegisteredWorker {
  const expiresAt = Number(r.expires_at);
  const taskIds = typeof r.task_ids === 'string' ? (JSON.parse(r.task_ids) as unknown) : r.task_ids;
  return {
    id: String(r.id),
    host: String(r.host),
    pid: Number(r.pid),
    engine: String(r.engine),
    slots: Number(r.slots),
    version: String(r.version),
    taskIds: Array.isArray(taskIds) ? taskIds.map(String) : [],
    state: runState(r.state),
    startedAt: Number(r.started_at),
    heartbeatAt: Number(r.heartbeat_at),
    expiresAt,
    stale: expiresAt < now,
  };
}

export function runState(v: unknown): WorkerRunState {
  const state = WORKER_RUN_STATES.find((s) => s === v);
  if (state === undefined) throw new TypeError(`unknown worker state ${String(v)}`);
  return state;
}
