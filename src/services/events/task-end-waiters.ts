import { END_EVENT_OF, endsTask, type TaskEndEventType, type TaskEvent } from '../../core/event.js';
import { isTerminal } from '../../core/task.js';
import type { TaskStore } from '../../store/task.store.js';

/** How a wait finished: the event that ended the task, or why it stopped waiting. */
export type WaitOutcome = TaskEndEventType | 'timeout' | 'aborted' | 'shutdown' | 'busy';

/**
 * Requests waiting for a task to end (`?wait=true`), keyed by task. Bounded by `maxWaiters`; each
 * waiter removes itself however it finishes, and `closeAll` answers the rest at shutdown.
 */
export class TaskEndWaiters {
  private readonly waiters = new Map<string, Set<(outcome: WaitOutcome) => void>>();
  private waiting = 0;
  private closed = false;

  constructor(
    private readonly store: TaskStore,
    private readonly maxWaiters: number,
  ) {}

  get count(): number {
    return this.waiting;
  }

  /**
   * Resolves when the task ends, after `timeoutMs`, when `signal` fires, or at shutdown. Registers
   * before reading the row, so an end that happened just before the call is seen too.
   */
  async wait(taskId: string, timeoutMs: number, signal?: AbortSignal): Promise<WaitOutcome> {
    if (this.closed) return 'shutdown';
    if (this.waiting >= this.maxWaiters) return 'busy';
    let finish: (outcome: WaitOutcome) => void = () => {};
    const outcome = new Promise<WaitOutcome>((resolve) => {
      let set = this.waiters.get(taskId);
      if (!set) {
        set = new Set();
        this.waiters.set(taskId, set);
      }
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      const onAbort = (): void => finish('aborted');
      finish = (o) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const current = this.waiters.get(taskId);
        if (current?.delete(finish)) {
          this.waiting--;
          if (current.size === 0) this.waiters.delete(taskId);
        }
        resolve(o);
      };
      set.add(finish);
      this.waiting++;
      if (signal?.aborted) finish('aborted');
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const row = await this.store.get(taskId, { admin: true });
      if (row === null) finish('deleted');
      else if (isTerminal(row.status)) finish(END_EVENT_OF[row.status]);
    } catch (err) {
      finish('aborted');
      throw err;
    }
    return outcome;
  }

  /** Answers the task's waiters when the event ends it. */
  onEvent(ev: TaskEvent): void {
    if (!endsTask(ev.type)) return;
    const set = this.waiters.get(ev.taskId);
    if (set) for (const finish of [...set]) finish(ev.type);
  }

  /** Answers every waiter with 'shutdown' and refuses new ones. Idempotent. */
  closeAll(): void {
    this.closed = true;
    for (const set of [...this.waiters.values()]) for (const finish of [...set]) finish('shutdown');
  }
}
