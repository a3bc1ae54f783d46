import { type ChildProcess, fork } from 'node:child_process';
import type { Config } from '../config/config.js';
import { configToEnv } from '../config/config.js';
import { failureOf, WorkerCrashedError } from '../core/errors/index.js';
import type { Logger } from '../core/logger.js';
import { LIVE_ERRORS } from '../live/live-errors.js';
import type { LiveCommand, LiveOutput } from '../live/live-messages.js';
import type { LiveSettings } from '../live/live-settings.js';
import type { LiveLink, LiveWorkers } from '../live/live-workers.js';
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
  /** Live sessions this worker runs, by id: removed when the worker reports them closed or dies. */
  live: Map<string, (output: LiveOutput) => void>;
  /** The running process is draining (reported by the worker): no new live sessions go to it. */
  draining: boolean;
  /** The running process said it finished draining: its exit is not a crash and is not restarted. */
  drained: boolean;
}

/**
 * Starts N worker processes and keeps them running. A worker that crashes is restarted with backoff
 * and its task is handed back to the queue at once (attempt counted) rather than waiting for its
 * lease to expire. Workers get the parent's resolved config through their environment.
 */
export class Supervisor implements SupervisorView, LiveWorkers {
  private readonly slots: Slot[] = [];
  private stopping = false;
  private generation = 0;
  private readonly taskListeners: Array<() => void> = [];
  paused = false;
  restartCount = 0;

  constructor(private readonly deps: { config: Config; store: TaskStore; log: Logger; count: number }) {}

  start(): void {
    for (let i = 0; i < this.deps.count; i++) {
      const slot: Slot = {
        info: { id: `w${i}`, pid: null, state: 'starting', taskIds: [], restarts: 0, startedAt: null },
        child: null,
        workerId: '',
        crashes: 0,
        timer: null,
        exited: null,
        live: new Map(),
        draining: false,
        drained: false,
      };
      this.slots.push(slot);
      this.spawn(slot);
    }
  }

  workers(): WorkerInfo[] {
    return this.slots.map((s) => ({
      ...s.info,
      liveSessions: s.live.size,
      ...(s.workerId === '' ? {} : { workerId: s.workerId }),
      draining: s.draining,
    }));
  }

  /**
   * Opens a live session on the running worker with the fewest; null when none is running. The
   * worker is fixed for the session's life: its recogniser state lives there.
   */
  openLive(sessionId: string, settings: LiveSettings, onOutput: (output: LiveOutput) => void): LiveLink | null {
    if (this.stopping) return null;
    let best: Slot | null = null;
    for (const slot of this.slots) {
      if (!slot.child?.connected || slot.info.state === 'starting' || slot.info.state === 'restarting') continue;
      if (slot.draining || slot.drained) continue;
      if (best === null || slot.live.size < best.live.size) best = slot;
    }
    if (best === null) return null;
    const slot = best;
    const child = slot.child;
    slot.live.set(sessionId, onOutput);
    const link: LiveLink = {
      workerId: slot.workerId,
      send: (command: LiveCommand) => {
        // A command for a worker that has since died or been replaced is dropped: its death was
        // (or is about to be) reported to the session as worker_crashed.
        if (slot.child === child && child?.connected && slot.live.has(sessionId)) child.send(command);
      },
    };
    link.send({ type: 'live.open', sessionId, settings });
    return link;
  }

  pause(): void {
    this.paused = true;
    this.broadcast({ type: 'pause' });
  }

  resume(): void {
    this.paused = false;
    this.broadcast({ type: 'resume' });
  }

  onTasksChanged(listener: () => void): void {
    this.taskListeners.push(listener);
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
      // Structured clone: live audio crosses as bytes instead of a JSON array of numbers.
      serialization: 'advanced',
    });
    slot.child = child;
    slot.draining = false;
    slot.drained = false;
    slot.info = { ...slot.info, pid: child.pid ?? null, state: 'starting', taskIds: [], startedAt: Date.now() };
    if (this.paused) this.sendTo(slot, { type: 'pause' });
    child.on('message', (m: WorkerMessage) => {
      if (m.type === 'live.output') {
        const deliver = slot.live.get(m.sessionId);
        if (m.output.kind === 'closed') slot.live.delete(m.sessionId);
        deliver?.(m.output);
      } else if (m.type === 'tasks') {
        slot.info = { ...slot.info, state: m.taskIds.length > 0 ? 'busy' : 'idle', taskIds: m.taskIds };
        for (const listener of this.taskListeners) listener();
      } else if (m.type === 'ready') slot.info = { ...slot.info, state: 'idle' };
      else if (m.type === 'draining') slot.draining = m.draining;
      else if (m.type === 'drained') slot.drained = true;
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
    const taskIds = slot.info.taskIds;
    slot.child = null;
    this.endLiveSessions(slot);
    if (this.stopping) {
      slot.info = { ...slot.info, state: 'stopped', pid: null, taskIds: [] };
      return;
    }
    if (slot.drained && code === 0) {
      // Drained on an admin's request: a clean exit with nothing left to hand back. Restarting it
      // would undo the drain, so the slot stays down until the server restarts.
      log.info({ worker: slot.info.id, workerId: slot.workerId }, 'worker drained and stopped; not restarted');
      slot.info = { ...slot.info, state: 'drained', pid: null, taskIds: [] };
      return;
    }
    log.error({ worker: slot.info.id, code, signal, taskIds }, 'worker exited unexpectedly');
    // Hand every task back now; their checkpoints let the next attempts resume where these stopped.
    // (A task claimed in the instant before the crash, not yet reported, comes back when its lease expires.)
    const reason = signal ? `signal ${signal}` : `exit code ${code}`;
    await Promise.all(
      taskIds.map((taskId) =>
        store
          .fail(taskId, slot.workerId, failureOf(new WorkerCrashedError(reason)))
          .catch((err: unknown) => log.error({ err, taskId }, 'could not re-queue the crashed worker’s task')),
      ),
    );
    const stable = slot.info.startedAt !== null && Date.now() - slot.info.startedAt > STABLE_MS;
    slot.crashes = stable ? 1 : slot.crashes + 1;
    const delay = RESTART_DELAYS_MS[Math.min(slot.crashes, RESTART_DELAYS_MS.length) - 1] ?? 30_000;
    this.restartCount++;
    slot.info = { ...slot.info, state: 'restarting', pid: null, taskIds: [], restarts: slot.info.restarts + 1 };
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (!this.stopping) this.spawn(slot);
    }, delay);
  }

  /** The worker is gone, and with it the state of its live sessions: each ends with worker_crashed. */
  private endLiveSessions(slot: Slot): void {
    const sessions = [...slot.live.values()];
    slot.live.clear();
    for (const deliver of sessions) {
      deliver({ kind: 'error', code: 'worker_crashed', message: LIVE_ERRORS.worker_crashed.message, fatal: true });
      deliver({ kind: 'closed' });
    }
  }

  private broadcast(m: SupervisorMessage): void {
    for (const slot of this.slots) this.sendTo(slot, m);
  }

  private sendTo(slot: Slot, m: SupervisorMessage): void {
    if (slot.child?.connected) slot.child.send(m);
  }
}
