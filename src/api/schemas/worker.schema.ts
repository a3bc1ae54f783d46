import { type Static, Type } from '@sinclair/typebox';
import { WORKER_RUN_STATES } from '../../core/worker-registration.js';
import { SUPERVISED_STATES } from '../../worker/supervisor.types.js';
import { Nullable } from './common.schema.js';

/** A worker process as the worker registry (the database) knows it: every host, every kind. */
export const RegisteredWorkerSchema = Type.Object({
  id: Type.String({ description: 'Worker id (as in task leases).' }),
  host: Type.String({ description: 'Host name (os.hostname(), or EARSHOT_WORKER_HOST).' }),
  pid: Type.Integer(),
  engine: Type.String(),
  slots: Type.Integer({ description: 'Tasks it runs at once.' }),
  task_ids: Type.Array(Type.String(), { description: 'Tasks it ran at its last heartbeat, oldest first.' }),
  version: Type.String({ description: 'Earshot version.' }),
  state: Type.Union(
    WORKER_RUN_STATES.map((s) => Type.Literal(s)),
    { description: 'draining: claims nothing new, exits once its current work is done.' },
  ),
  started_at: Type.String({ format: 'date-time' }),
  heartbeat_at: Type.String({ format: 'date-time' }),
  heartbeat_age_ms: Type.Integer({ description: 'Time since its last heartbeat, as this server sees it.' }),
  stale: Type.Boolean({
    description: 'No heartbeat within its lease (EARSHOT_LEASE_MS): crashed, hung or cut off from the store.',
  }),
  supervised_by_this_server: Type.Boolean({ description: 'It is one of the worker processes this server runs.' }),
});

/** One of the worker processes this server supervises (its slot, whatever process runs in it now). */
export const SupervisedWorkerSchema = Type.Object({
  id: Type.String({ description: 'Slot name (w0, w1, …).' }),
  worker_id: Nullable(Type.String({ description: 'The current process’s worker id (registry, leases).' })),
  pid: Nullable(Type.Integer()),
  state: Type.Union(SUPERVISED_STATES.map((s) => Type.Literal(s))),
  draining: Type.Boolean(),
  task_ids: Type.Array(Type.String(), { description: 'Tasks the worker runs now, oldest first.' }),
  task_id: Nullable(Type.String({ description: 'The first of `task_ids` (null when idle).' })),
  restarts: Type.Integer(),
  started_at: Nullable(Type.String({ format: 'date-time' })),
  live_sessions: Type.Integer({ description: 'Live (/v1/realtime) sessions this worker runs.' }),
});

export const WorkersResponseSchema = Type.Object({
  paused: Nullable(Type.Boolean({ description: 'This server’s workers are paused; null when it supervises none.' })),
  lease_ms: Type.Integer({ description: 'A worker is stale once this long passes without a heartbeat.' }),
  workers: Type.Array(RegisteredWorkerSchema, { description: 'Every registered worker, by host then start time.' }),
  supervised: Type.Array(SupervisedWorkerSchema, { description: 'This server’s worker processes ([] when none).' }),
});

export const WorkerIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 256 }) });

export type RegisteredWorkerView = Static<typeof RegisteredWorkerSchema>;
export type SupervisedWorkerView = Static<typeof SupervisedWorkerSchema>;
export type WorkersResponse = Static<typeof WorkersResponseSchema>;
