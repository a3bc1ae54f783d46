import { type ChildProcess, fork } from 'node:child_process';
import type { Config } from '../config/config.js';
import { configToEnv } from '../config/config.js';
import { failureOf, WorkerCrashedError } from '../core/errors/index.js';
import type { Logger } from '../core/logger.js';
import type { TaskStore } from '../store/task.store.js';
import { childEntry } from './child-entry.js';
import { SUPERVISOR_PID_ENV } from './parent-guard.js';
import type { SupervisorView, WorkerInfo } from './supervisor.types.js';
import type { SupervisorMessage, WorkerMessage } from './worker-process.js';

/** Restart delays after consecutive crashes; a worker that stayed up for STABLE_MS resets the count. */
const RESTART_DELAYS_MS = [500, 1000, 2000, 5000, 10_000, 30_000];
const STABLE_MS = 60_000;

interface Slot {
  info: WorkerInfo;
  child: ChildProcess | null;
  workerId: string;
  crashes: number;
  timer: NodeJS.Timeout | null;
  exited: Promise<void> | null;
}

/**
 * Starts N worker processes and keeps them running. A worker that crashes is restarted with backoff
 * and its task is handed back to the queue at once (attempt counted) rather than waiting for its
 * lease to expire. Workers get the parent's resolved config through their environment.
 */
export class Supervisor implements SupervisorView {
  private readonly slots: Slot[] = [];
  private stopping = false;
  private generation = 0;
  paused = false;
  restartCount = 0;

  constructor(private readonly deps: { config: Config; store: TaskStore; log: Logger; count: number }) {}

  start(): void {
    for (let i = 0; i < this.deps.count; i++) {
      const slot: Slot = {
        info: { id: `w${i}`, pid: null, state: 'starting', taskId: null, restarts: 0, startedAt: null },
        child: null,
        workerId: '',
        crashes: 0,
        timer: null,
        exited: null,
      };
      this.slots.push(slot);
      this.spawn(slot);
    }
  }

  workers(): WorkerInfo[] {
    return this.slots.map((s) => ({ ...s.info }));
  }

  pause(): void {
    this.paused = true;
    this.broadcast({ type: 'pause' });
  }

  resume(): void {
    this.paused = false;
    this.broadcast({ type: 'resume' });
  }

  /** Tells idle workers a task was queued, so they claim it now rather than at their next poll. */
  wake(): void {
    this.broadcast({ type: 'wake' });
  }

  /** Asks every worker to drain (they finish or release their tasks within the grace period) and waits. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const slot of this.slots) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.info.state = 'stopping';
      this.sendTo(slot, { type: 'shutdown' });
    }
    const deadline = setTimeout(() => {
      for (const slot of this.slots) slot.child?.kill('SIGKILL');
    }, graceMs + 5000);
    await Promise.all(this.slots.map((s) => s.exited));
    clearTimeout(deadline);
  }

  private spawn(slot: Slot): void {
    const { config, log } = this.deps;
    const entry = childEntry(new URL('../cli/main.js', import.meta.url));
    slot.workerId = `${slot.info.id}-${process.pid}-${++this.generation}`;
    const child = fork(entry.file, ['worker'], {
      execArgv: entry.execArgv,
      env: {
        ...process.env,
        ...configToEnv(config),
        EARSHOT_WORKERS: '0',
        EARSHOT_WORKER_ID: slot.workerId,
        [SUPERVISOR_PID_ENV]: String(process.pid),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    slot.child = child;
    slot.info = { ...slot.info, pid: child.pid ?? null, state: 'starting', taskId: null, startedAt: Date.now() };
    if (this.paused) this.sendTo(slot, { type: 'pause' });
    child.on('message', (m: WorkerMessage) => {
      if (m.type === 'busy') slot.info = { ...slot.info, state: 'busy', taskId: m.taskId };
      else slot.info = { ...slot.info, state: 'idle', taskId: null };
    });
    slot.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        void this.onExit(slot, code, signal).finally(resolve);
      });
    });
    log.info({ worker: slot.info.id, pid: child.pid }, 'worker started');
  }

  private async onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    const { store, log } = this.deps;
    const taskId = slot.info.taskId;
    slot.child = null;
    if (this.stopping) {
      slot.info = { ...slot.info, state: 'stopped', pid: null, taskId: null };
      return;
    }
    log.error({ worker: slot.info.id, code, signal, taskId }, 'worker exited unexpectedly');
    if (taskId) {
      // Hand the task back now; its checkpoints let the next attempt resume where this one stopped.
      const reason = signal ? `signal ${signal}` : `exit code ${code}`;
      await store
        .fail(taskId, slot.workerId, failureOf(new WorkerCrashedError(reason)))
        .catch((err: unknown) => log.error({ err, taskId }, 'could not re-queue the crashed worker’s task'));
    }
    const stable = slot.info.startedAt !== null && Date.now() - slot.info.startedAt > STABLE_MS;
    slot.crashes = stable ? 1 : slot.crashes + 1;
    const delay = RESTART_DELAYS_MS[Math.min(slot.crashes, RESTART_DELAYS_MS.length) - 1] ?? 30_000;
    this.restartCount++;
    slot.info = { ...slot.info, state: 'restarting', pid: null, taskId: null, restarts: slot.info.restarts + 1 };
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (!this.stopping) this.spawn(slot);
    }, delay);
  }

  private broadcast(m: SupervisorMessage): void {
    for (const slot of this.slots) this.sendTo(slot, m);
  }

  private sendTo(slot: Slot, m: SupervisorMessage): void {
    if (slot.child?.connected) slot.child.send(m);
  }
}
