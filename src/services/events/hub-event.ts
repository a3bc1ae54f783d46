import {
  STREAM_EVENT_OF,
  TASK_EVENT_TYPES,
  TASK_VIEW_STREAM_EVENTS,
  type TaskEvent,
  type TaskEventType,
} from '../../core/event.js';
import type { Task } from '../../core/task.js';
import type { TaskStore } from '../../store/task.store.js';

/** An event from the log with the current row of its task (null where the type carries none, or the task is gone). */
export interface HubEvent {
  event: TaskEvent;
  task: Task | null;
}

/** Which events a consumer sees: one user's (null: everyone's, for an admin), one task's (null: all). */
export interface EventFilter {
  readonly userId: string | null;
  readonly taskId: string | null;
}

export function matches(filter: EventFilter, ev: TaskEvent): boolean {
  return (
    (filter.userId === null || filter.userId === ev.userId) && (filter.taskId === null || filter.taskId === ev.taskId)
  );
}

/** Types whose SSE payload and listeners want the task row: those streamed as the task's view. */
const WITH_TASK: ReadonlySet<TaskEventType> = new Set(
  TASK_EVENT_TYPES.filter((t) => (TASK_VIEW_STREAM_EVENTS as readonly string[]).includes(STREAM_EVENT_OF[t])),
);

/**
 * Pairs events with the rows they need (one read per task, only for events `want` accepts), for
 * dispatch and for SSE replay alike.
 */
export async function withTasks(
  store: TaskStore,
  events: readonly TaskEvent[],
  want: (ev: TaskEvent) => boolean,
): Promise<HubEvent[]> {
  const ids = new Set<string>();
  for (const ev of events) if (WITH_TASK.has(ev.type) && want(ev)) ids.add(ev.taskId);
  const rows = new Map<string, Task | null>();
  await Promise.all(
    [...ids].map(async (id) => {
      rows.set(id, await store.get(id, { admin: true }));
    }),
  );
  return events.map((event) => ({ event, task: rows.get(event.taskId) ?? null }));
}
