import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from '../config/config.js';
import { NotFoundError } from '../core/errors/index.js';
import { endsTask } from '../core/event.js';
import { isTerminal, type Task } from '../core/task.js';
import type { Transcript } from '../core/transcript.js';
import type { TaskStore } from '../store/task.store.js';
import type { EventHub } from './events/event-hub.js';

export interface TaskWaitDeps {
  config: Pick<Config, 'syncMaxBytes' | 'syncMaxSeconds'>;
  store: TaskStore;
  hub: EventHub;
  /** Longest a wait lasts before the caller gets the task as it is. */
  timeoutMs: number;
}

/** The task once it ended (with its transcript when it succeeded), or as it is when it did not. */
export type WaitResult = { ended: true; task: Task; transcript: Transcript | null } | { ended: false; task: Task };

/** How a wait without a time limit ended: with the task, or because the client left or the server is stopping. */
export type EndResult =
  | { ended: true; task: Task; transcript: Transcript | null }
  | { ended: false; reason: 'aborted' | 'shutdown'; task: Task };

/**
 * How often a wait re-reads the task row while every hub waiter slot is taken (the hub answers
 * 'busy'): rare, and the row is small, so a slow poll costs little.
 */
const BUSY_POLL_MS = 1_000;

/**
 * `?wait=true`: holds a create request until a small task ends, so short clips can be transcribed
 * in one call. Large inputs are not waited for (a request may not hold a connection for hours).
 */
export class TaskWaitService {
  constructor(private readonly deps: TaskWaitDeps) {}

  /** Small enough by size and probed duration; a duration the probe could not tell counts as too long. */
  canWait(task: Task): boolean {
    const { syncMaxBytes, syncMaxSeconds } = this.deps.config;
    return task.mediaBytes <= syncMaxBytes && task.durationSeconds !== null && task.durationSeconds <= syncMaxSeconds;
  }

  /**
   * Waits for the task to end, up to the time limit or until `signal` (the client left); a task too
   * large to wait for is returned at once, as it is. Throws NotFoundError when the task was deleted
   * meanwhile.
   */
  async untilEnd(task: Task, signal: AbortSignal): Promise<WaitResult> {
    if (!this.canWait(task)) return { ended: false, task };
    const { store, hub, timeoutMs } = this.deps;
    const outcome = await hub.waitForEnd(task.id, timeoutMs, signal);
    if (outcome === 'deleted') throw new NotFoundError();
    if (endsTask(outcome)) return this.ended(task);
    return { ended: false, task: (await store.get(task.id, { admin: true })) ?? task };
  }

  /**
   * Waits for the task to end however long it runs (the OpenAI-compatible route answers only with
   * the result): the hub wait is renewed every `timeoutMs`, so the only bound is the task's own
   * (its attempts and time budget). Stops early when `signal` fires or the server shuts down.
   * Throws NotFoundError when the task was deleted meanwhile.
   */
  async untilDone(task: Task, signal: AbortSignal): Promise<EndResult> {
    const { store, hub, timeoutMs } = this.deps;
    for (;;) {
      const outcome = await hub.waitForEnd(task.id, timeoutMs, signal);
      if (outcome === 'deleted') throw new NotFoundError();
      if (endsTask(outcome)) return this.ended(task);
      if (outcome === 'aborted' || outcome === 'shutdown') {
        return { ended: false, reason: outcome, task: (await store.get(task.id, { admin: true })) ?? task };
      }
      if (outcome === 'busy') {
        const row = await store.get(task.id, { admin: true });
        if (row === null) throw new NotFoundError();
        if (isTerminal(row.status)) return this.ended(task);
        await delay(BUSY_POLL_MS, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) return { ended: false, reason: 'aborted', task: row };
      }
    }
  }

  /** The row of a task that ended, with its transcript when it succeeded. */
  private async ended(task: Task): Promise<WaitResult & { ended: true }> {
    const { store } = this.deps;
    const current = (await store.get(task.id, { admin: true })) ?? task;
    const transcript = current.status === 'succeeded' ? await store.getTranscript(task.id) : null;
    return { ended: true, task: current, transcript };
  }
}
