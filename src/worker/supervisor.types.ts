/**
 * A supervised worker's state. `drained`: an admin drained it (worker registry); it finished its
 * work and exited, and stays stopped until the server restarts (restarting it would defeat the drain).
 */
export const SUPERVISED_STATES = ['starting', 'idle', 'busy', 'restarting', 'stopping', 'stopped', 'drained'] as const;
export type SupervisedState = (typeof SUPERVISED_STATES)[number];

/** What the HTTP layer may see of, and ask of, the worker supervisor running in the same process. */
export interface WorkerInfo {
  id: string;
  pid: number | null;
  state: SupervisedState;
  /** The running process's worker id (task leases, worker registry); absent before the first start. */
  workerId?: string;
  /** An admin asked it to drain: it claims nothing new and gets no new live session. */
  draining?: boolean;
  /** Tasks the worker runs now, oldest first (a worker runs several at once; see EARSHOT_WORKER_TASKS). */
  taskIds: string[];
  restarts: number;
  startedAt: number | null;
  /** Live sessions running on this worker. */
  liveSessions?: number;
}

export interface SupervisorView {
  workers(): WorkerInfo[];
  readonly paused: boolean;
  /** Stops all workers claiming new tasks (in-flight tasks finish). */
  pause(): void;
  resume(): void;
  /** Tells idle workers that a task may be waiting, so they claim it now rather than at their next poll. */
  wake?(): void;
  /**
   * Calls `listener` whenever a worker's running tasks change (one was claimed, or ended and its
   * last transition is in the store), so the API reads the event log at once instead of at its
   * next poll: a `?wait=true` request is answered as soon as its task ends.
   */
  onTasksChanged?(listener: () => void): void;
  /** Total worker restarts since start (a Prometheus counter). */
  readonly restartCount: number;
}
