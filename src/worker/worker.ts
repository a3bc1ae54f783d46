import type { Config } from '../config/config.js';
import type { Logger } from '../core/logger.js';
import type { EnginePool } from '../engines/engine-pool.js';
import type { TaskStore } from '../store/task.store.js';
import { runTask } from './task-runner.js';

/** An idle worker looks for work this often; a `wake()` (new task announced) cuts the wait short. */
const IDLE_POLL_MS = 1000;

export type WorkerState = { state: 'idle' } | { state: 'busy'; taskId: string } | { state: 'stopped' };

export interface WorkerDeps {
  config: Config;
  store: TaskStore;
  pool: EnginePool;
  workerId: string;
  log: Logger;
  onState?: (s: WorkerState) => void;
}

/**
 * The claim loop: one task at a time per worker (a task already uses every engine in the pool).
 * It also sweeps expired leases, so a cluster of plain `earshot worker` processes recovers the tasks
 * of a member that died, without any server.
 */
export class Worker {
  private stopping = false;
  private paused = false;
  private wakeUp: (() => void) | null = null;
  private current: Promise<void> | null = null;
  private readonly shutdown = new AbortController();
  private lastSweep = 0;
  private loop: Promise<void> | null = null;

  constructor(private readonly deps: WorkerDeps) {}

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

  wake(): void {
    this.wakeUp?.();
    this.wakeUp = null;
  }

  /**
   * Graceful stop: claim nothing more, let the running task finish within `graceMs`, then abort it
   * (it is released back to the queue without spending an attempt).
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.wake();
    if (this.current !== null) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((r) => {
        timer = setTimeout(r, graceMs);
      });
      await Promise.race([this.current, grace]);
      clearTimeout(timer);
      this.shutdown.abort();
      await this.current;
    }
    await this.loop;
  }

  private async run(): Promise<void> {
    const { store, config, workerId, log } = this.deps;
    while (!this.stopping) {
      if (this.paused) {
        await this.idle(IDLE_POLL_MS);
        continue;
      }
      try {
        await this.sweep();
        const task = await store.claim(workerId, config.leaseMs);
        if (!task) {
          await this.idle(IDLE_POLL_MS);
          continue;
        }
        this.deps.onState?.({ state: 'busy', taskId: task.id });
        this.current = runTask(task, { ...this.deps, shutdown: this.shutdown.signal });
        await this.current;
      } catch (err) {
        // A store outage must not kill the worker: log, back off, try again.
        log.error({ err }, 'worker loop error');
        await this.idle(IDLE_POLL_MS * 5);
      } finally {
        this.current = null;
      }
      this.deps.onState?.({ state: 'idle' });
    }
    this.deps.onState?.({ state: 'stopped' });
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    if (now - this.lastSweep < this.deps.config.leaseMs / 2) return;
    this.lastSweep = now;
    const n = await this.deps.store.reclaimExpired(now);
    if (n > 0) this.deps.log.warn({ reclaimed: n }, 'reclaimed tasks whose worker vanished');
  }

  private idle(ms: number): Promise<void> {
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
