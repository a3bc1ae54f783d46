import { type Config, tasksPerWorker } from '../config/config.js';
import type { Logger } from '../core/logger.js';
import type { Task } from '../core/task.js';
import type { EnginePool } from '../engines/engine-pool.js';
import type { MediaStore } from '../storage/media-store.js';
import type { TaskStore } from '../store/task.store.js';
import { runTask } from './task-runner.js';

/** An idle worker looks for work this often; a `wake()` (new task announced, a task ended) cuts the wait short. */
const IDLE_POLL_MS = 1000;

export type WorkerState = { state: 'idle' } | { state: 'busy'; taskIds: string[] } | { state: 'stopped' };

export interface WorkerDeps {
  config: Config;
  store: TaskStore;
  /** Where task inputs are read from. */
  media: MediaStore;
  pool: EnginePool;
  workerId: string;
  log: Logger;
  /** Called whenever the set of running tasks changes, and once when the worker has stopped. */
  onState?: (s: WorkerState) => void;
}

/**
 * The claim loop. A worker runs up to `tasksPerWorker` tasks at once on one engine pool: it claims
 * whenever it has room, and the tasks' chunks take turns on the engines (EnginePool serves shares
 * fairly, by priority), so one-chunk recordings keep every engine busy and a long recording neither
 * starves nor is starved by short ones. It also sweeps expired leases, so a cluster of plain
 * `earshot worker` processes recovers the tasks of a member that died, without any server.
 */
export class Worker {
  private stopping = false;
  private paused = false;
  /** An admin asked this worker to drain (worker registry): it claims nothing new. */
  private draining = false;
  private wakeUp: (() => void) | null = null;
  /** A wake that came while the loop was busy (claiming): the next idle wait returns at once. */
  private woken = false;
  private readonly running = new Map<string, Promise<void>>();
  private readonly shutdown = new AbortController();
  private readonly maxTasks: number;
  private lastSweep = 0;
  private loop: Promise<void> | null = null;

  constructor(private readonly deps: WorkerDeps) {
    this.maxTasks = tasksPerWorker(deps.config);
  }

  start(): Promise<void> {
    this.loop ??= this.run();
    return this.loop;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake();
  }

  /**
   * Draining claims nothing new while the running tasks go on; the process exits once they are done
   * (see worker-process.ts). Lifted again (undrain) before that, the worker claims as before.
   */
  setDraining(on: boolean): void {
    this.draining = on;
    if (!on) this.wake();
  }

  wake(): void {
    if (this.wakeUp === null) {
      this.woken = true;
      return;
    }
    this.wakeUp();
    this.wakeUp = null;
  }

  /** Ids of the tasks running now, oldest first. */
  get taskIds(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Graceful stop: claim nothing more, let the running tasks finish within `graceMs`, then abort
   * them (they are released back to the queue without spending an attempt).
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.wake();
    if (this.running.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((r) => {
        timer = setTimeout(r, graceMs);
      });
      await Promise.race([this.settled(), grace]);
      clearTimeout(timer);
      this.shutdown.abort();
      await this.settled();
    }
    await this.loop;
  }

  /**
   * Resolves once no task runs. A completion in flight when the worker stops may still bring in the
   * task it claimed (see begin), which is then run (or released, after the abort) and waited for too.
   */
  private async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  /** Whether a task that ends now should claim the next one with its completion (its slot frees up). */
  private wantsMore(): boolean {
    return !this.stopping && !this.paused && !this.draining;
  }

  private async run(): Promise<void> {
    const { store, config, workerId, log } = this.deps;
    while (!this.stopping) {
      if (this.paused || this.draining) {
        await this.idle(IDLE_POLL_MS);
        continue;
      }
      try {
        // Also while every slot is taken: tasks that end claim their successors themselves (begin),
        // so a busy worker may not come past here to claim for a long time, and must still sweep.
        await this.sweep();
        if (this.running.size >= this.maxTasks) {
          await this.idle(IDLE_POLL_MS);
          continue;
        }
        const task = await store.claim(workerId, config.leaseMs);
        if (!task) {
          await this.idle(IDLE_POLL_MS);
          continue;
        }
        this.begin(task);
      } catch (err) {
        // A store outage must not kill the worker: log, back off, try again.
        log.error({ err }, 'worker loop error');
        await this.idle(IDLE_POLL_MS * 5);
      }
    }
    await this.settled();
    this.deps.onState?.({ state: 'stopped' });
  }

  /**
   * Runs a claimed task beside the others. A task that succeeds while the worker wants more claims
   * its successor in the same store step, which takes over its slot; otherwise the loop is woken to
   * claim.
   */
  private begin(task: Task): void {
    const run = runTask(task, { ...this.deps, shutdown: this.shutdown.signal, claimNext: () => this.wantsMore() })
      .catch((err: unknown) => {
        this.deps.log.error({ err, taskId: task.id }, 'task run failed');
        return null;
      })
      .then((next) => {
        this.running.delete(task.id);
        if (next) {
          this.begin(next);
          return;
        }
        this.report();
        this.wake();
      });
    this.running.set(task.id, run);
    this.report();
  }

  private report(): void {
    const taskIds = this.taskIds;
    this.deps.onState?.(taskIds.length > 0 ? { state: 'busy', taskIds } : { state: 'idle' });
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    if (now - this.lastSweep < this.deps.config.leaseMs / 2) return;
    this.lastSweep = now;
    const n = await this.deps.store.reclaimExpired(now);
    if (n > 0) this.deps.log.warn({ reclaimed: n }, 'reclaimed tasks whose worker vanished');
  }

  private idle(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
