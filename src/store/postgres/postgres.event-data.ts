import type { TaskEventType } from '../../core/event.js';

/**
 * Event payloads built in SQL from a task row, for the transitions that are one statement (see
 * eventCte in postgres.events.ts): the event is inserted by the same statement that changes the row,
 * so its payload cannot be built in TypeScript first. Each mirrors its builder in task.transitions.ts
 * key for key; the store conformance suite compares the logged payloads of both adapters, so the
 * two cannot drift apart unnoticed. `r` is the alias of a tasks row.
 */
export const EVENT_DATA_SQL = {
  created: (r: string) =>
    `jsonb_build_object('status', ${r}.status, 'stage', ${r}.stage, 'priority', ${r}.priority,
       'sourceName', ${r}.source_name)`,
  progress: (r: string) =>
    `jsonb_build_object('status', ${r}.status, 'stage', ${r}.stage, 'doneSeconds', ${r}.done_seconds,
       'durationSeconds', ${r}.duration_seconds, 'speed', ${r}.speed, 'attempts', ${r}.attempts)`,
  renamed: (r: string) => `jsonb_build_object('title', ${r}.title)`,
  done: (r: string) =>
    `jsonb_build_object('status', ${r}.status, 'stage', ${r}.stage, 'doneSeconds', ${r}.done_seconds,
       'durationSeconds', ${r}.duration_seconds)`,
} satisfies Partial<Record<TaskEventType, (r: string) => string>>;
