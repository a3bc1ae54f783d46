/**
 * The worker registry: every worker process (supervised child or standalone `earshot worker`, on any
 * host sharing the store) keeps one row about itself, renewed by heartbeat, so the admin view shows
 * the whole deployment rather than one server's children.
 */

/** `draining`: asked to claim nothing new, finish what it runs, then exit. */
export const WORKER_RUN_STATES = ['running', 'draining'] as const;
export type WorkerRunState = (typeof WORKER_RUN_STATES)[number];

/** What a worker says about itself when it registers. */
export interface WorkerRegistration {
  /** The worker id, as in task leases (`lease_owner`). */
  id: string;
  /** os.hostname(), or EARSHOT_WORKER_HOST. */
  host: string;
  pid: number;
  engine: string;
  /** Tasks it runs at once (EARSHOT_WORKER_TASKS, resolved). */
  slots: number;
  /** Earshot version (package.json). */
  version: string;
  /** Registry lease: the row is stale once this long passes without a heartbeat. */
  leaseMs: number;
}

export interface RegisteredWorker extends Omit<WorkerRegistration, 'leaseMs'> {
  /** Tasks it runs now, oldest first, as of its last heartbeat. */
  taskIds: string[];
  state: WorkerRunState;
  startedAt: number;
  heartbeatAt: number;
  /** heartbeatAt + its lease: past this the worker is presumed dead. */
  expiresAt: number;
  /** expiresAt is before the store's now: no heartbeat within the lease (crashed, hung or cut off). */
  stale: boolean;
}

/**
 * A row whose lease ran out this many leases ago is removed: long enough for an admin to see that a
 * worker died, short enough that crash-looping hosts cannot grow the table without bound.
 */
export const WORKER_PRUNE_LEASES = 10;
