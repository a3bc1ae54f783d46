import { ConflictError, NotFoundError } from '../core/errors/index.js';
import type { Logger } from '../core/logger.js';
import type { Task } from '../core/task.js';
import type { User } from '../core/user.js';
import { scopeOf, type TaskService } from './task.service.js';

/**
 * Cancels the tasks of requests that ended without their answer (the OpenAI-compatible door: its
 * task lives only as long as its request, since nobody could read the result otherwise, and the
 * OpenAI SDKs retry a dropped request with a fresh upload). A task that ended meanwhile is left as
 * it is. Some cancellations start from close handlers nobody awaits (a stream the server closes at
 * shutdown), so `settled` lets the app's close wait for them before the store closes.
 */
export class AbandonedTasks {
  /** Cancellations under way; bounded by the open requests. */
  private readonly cancelling = new Set<Promise<void>>();

  constructor(private readonly deps: { tasks: TaskService; log: Logger }) {}

  abandon(task: Task, user: User, why: string): Promise<void> {
    const p = this.cancel(task, user, why).finally(() => this.cancelling.delete(p));
    this.cancelling.add(p);
    return p;
  }

  /** Resolves once every cancellation started so far has finished. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.cancelling]);
  }

  private async cancel(task: Task, user: User, why: string): Promise<void> {
    const { tasks, log } = this.deps;
    try {
      await tasks.cancel(task.id, scopeOf(user));
      log.info({ taskId: task.id, why }, 'request ended before its answer; task cancelled');
    } catch (err) {
      if (!(err instanceof ConflictError || err instanceof NotFoundError)) {
        log.warn({ err, taskId: task.id }, 'could not cancel the task of an abandoned request');
      }
    }
  }
}
