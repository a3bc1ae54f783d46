import type { RegisteredWorker } from '../core/worker-registration.js';
import type { WorkerInfo } from '../worker/supervisor.types.js';
import type { RegisteredWorkerView, SupervisedWorkerView } from './schemas/worker.schema.js';

/** A registry row as the admin API shows it; `now` is this server's clock (the age is an estimate across hosts). */
export function registeredWorkerView(w: RegisteredWorker, now: number, ours: boolean): RegisteredWorkerView {
  return {
    id: w.id,
    host: w.host,
    pid: w.pid,
    engine: w.engine,
    slots: w.slots,
    task_ids: w.taskIds,
    version: w.version,
    state: w.state,
    started_at: new Date(w.startedAt).toISOString(),
    heartbeat_at: new Date(w.heartbeatAt).toISOString(),
    heartbeat_age_ms: Math.max(0, now - w.heartbeatAt),
    stale: w.stale,
    supervised_by_this_server: ours,
  };
}

export function supervisedWorkerView(w: WorkerInfo): SupervisedWorkerView {
  return {
    id: w.id,
    worker_id: w.workerId ?? null,
    pid: w.pid,
    state: w.state,
    draining: w.draining ?? false,
    task_ids: w.taskIds,
    task_id: w.taskIds[0] ?? null,
    restarts: w.restarts,
    started_at: w.startedAt === null ? null : new Date(w.startedAt).toISOString(),
    live_sessions: w.liveSessions ?? 0,
  };
}
