import type { Logger } from '../core/logger.js';
import {
  type RegisteredWorker,
  WORKER_PRUNE_LEASES,
  type WorkerRegistration,
  type WorkerRunState,
} from '../core/worker-registration.js';
import type { TaskStore } from '../store/task.store.js';

export interface WorkerPresenceDeps {
  store: TaskStore;
  registration: WorkerRegistration;
  /** Heartbeat interval (EARSHOT_WORKER_HEARTBEAT_MS); keep it well under the registration's lease. */
  intervalMs: number;
  log: Logger;
  /** The tasks the worker runs now, recorded at each heartbeat. */
  taskIds: () => string[];
  /** Called after every heartbeat with the state an admin set (running, or draining). */
  onState: (state: WorkerRunState) => void;
}

/**
 * The worker's row in the worker registry: registered at start, renewed every `intervalMs` with the
 * tasks it runs, removed on a graceful stop. Each heartbeat also reads the admin's drain flag. A row
 * that vanished (pruned while this process was stalled, or deleted by hand) is registered again. The
 * heartbeats never overlap (each waits for the previous one), and a store outage only logs: the
 * worker keeps working and becomes stale in the admin view, which is the truth.
 *
 * Each worker also prunes rows whose lease ran out WORKER_PRUNE_LEASES leases ago, at most once a
 * lease, so dead workers' rows do not accumulate (a no-op DELETE on an index when there are none).
 */
export class WorkerPresence {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> = Promise.resolve();
  private registered = false;
  private stopped = false;
  private lastPrune = 0;

  constructor(private readonly deps: WorkerPresenceDeps) {}

  /** Registers (failures are logged and retried at the next beat) and starts the heartbeat. */
  async start(): Promise<void> {
    await this.beat();
    this.schedule();
  }

  /** Stops the heartbeat and removes the row (best effort: a row left behind turns stale, then is pruned). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight;
    if (!this.registered) return;
    try {
      await this.deps.store.deregisterWorker(this.deps.registration.id);
    } catch (err) {
      this.deps.log.warn({ err }, 'could not deregister the worker; its row will turn stale');
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.inFlight = this.beat().finally(() => this.schedule());
    }, this.deps.intervalMs);
  }

  private async beat(): Promise<void> {
    const { store, registration, log } = this.deps;
    try {
      let state: WorkerRunState | null = null;
      if (this.registered) state = await store.heartbeatWorker(registration.id, this.deps.taskIds());
      if (state === null) {
        if (this.registered) log.warn('worker row was gone from the registry; registering again');
        const row: RegisteredWorker = await store.registerWorker(registration);
        this.registered = true;
        if (this.deps.taskIds().length > 0) await store.heartbeatWorker(registration.id, this.deps.taskIds());
        state = row.state;
      }
      await this.prune();
      if (!this.stopped) this.deps.onState(state);
    } catch (err) {
      log.warn({ err }, 'worker registry heartbeat failed; will retry');
    }
  }

  private async prune(): Promise<void> {
    const now = Date.now();
    const { leaseMs } = this.deps.registration;
    if (now - this.lastPrune < leaseMs) return;
    this.lastPrune = now;
    const n = await this.deps.store.pruneWorkers(now - WORKER_PRUNE_LEASES * leaseMs);
    if (n > 0) this.deps.log.info({ pruned: n }, 'removed long-dead workers from the registry');
  }
}
