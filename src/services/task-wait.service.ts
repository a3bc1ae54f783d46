import type { Config } from '../config/config.js';
import { NotFoundError } from '../core/errors/index.js';
import { endsTask } from '../core/event.js';
import type { Task } from '../core/task.js';
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
    const current = (await store.get(task.id, { admin: true })) ?? task;
    if (endsTask(outcome)) {
      const transcript = current.status === 'succeeded' ? await store.getTranscript(task.id) : null;
      return { ended: true, task: current, transcript };
    }
    return { ended: false, task: current };
  }
}
