import type { ArtifactKind, ArtifactStage, ArtifactStatus } from './artifact.js';
import type { TaskStage, TaskStatus, TerminalStatus } from './task.js';
import type { Segment } from './transcript.js';

/*
 * The event log's vocabulary, and how it is sent over Server-Sent Events. Pure, without Node
 * imports: the web UI imports this module too.
 */

/** Kinds of task events, stored in the events log and streamed over SSE. */
export const TASK_EVENT_TYPES = [
  'created',
  'progress',
  'segment',
  'done',
  'error',
  'cancelled',
  'deleted',
  'retrying',
  'artifact',
  'renamed',
] as const;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

/** The failure of an attempt: `retrying` (back to the queue) or `error` (failed for good). */
export interface FailureEventData {
  status: TaskStatus;
  attempts: number;
  maxAttempts: number;
  /** When the task may run again (ms since epoch). */
  runAt: number;
  errorCode: string | null;
  errorMessage: string | null;
}

/**
 * A summary or polish of the task changed: queued, claimed, a window done, succeeded or failed. The
 * task itself did not change (an artifact never ends or fails its task).
 */
export interface ArtifactEventData {
  kind: ArtifactKind;
  status: ArtifactStatus;
  stage: ArtifactStage;
  doneWindows: number;
  totalWindows: number;
  attempts: number;
  errorCode: string | null;
  errorMessage: string | null;
  /** The transcript revision a succeeded result was made from (absent in events logged before it was kept). */
  revision?: number | null;
}

/** The `data` each event type carries; the row at the time of the transition, in part. */
export interface TaskEventDataMap {
  created: { status: TaskStatus; stage: TaskStage; priority: number; sourceName: string };
  progress: {
    status: TaskStatus;
    stage: TaskStage;
    doneSeconds: number;
    durationSeconds: number | null;
    speed: number | null;
    attempts: number;
  };
  /** One recognised chunk: its place in the recording (samples at 16 kHz) and its segments. */
  segment: { index: number; startSample: number; endSample: number; segments: Segment[] };
  done: { status: TaskStatus; stage: TaskStage; doneSeconds: number; durationSeconds: number | null };
  error: FailureEventData;
  retrying: FailureEventData;
  cancelled: { status: TaskStatus };
  deleted: { status: TaskStatus };
  artifact: ArtifactEventData;
  /** The task's title changed (PATCH /v1/tasks/:id): streamed as the task's view, so other tabs follow. */
  renamed: { title: string | null };
}
export type TaskEventData<T extends TaskEventType = TaskEventType> = TaskEventDataMap[T];

/** An event's type with its payload, before the log gives it a place. */
export type TaskEventBody = { [T in TaskEventType]: { type: T; data: TaskEventDataMap[T] } }[TaskEventType];

/**
 * One entry of the event log, a union discriminated by `type`. `seq` is global and increasing: it is
 * the SSE event id used for resume.
 */
export type TaskEvent = TaskEventBody & {
  seq: number;
  taskId: string;
  userId: string;
  createdAt: number;
};
export type TaskEventOf<T extends TaskEventType> = Extract<TaskEvent, { type: T }>;

/**
 * The events that end a task, and the status each leaves it in (`deleted` leaves no row). Waiters,
 * webhooks, metrics and the web UI all read the end of a task from here.
 */
export const TASK_END_STATUS = {
  done: 'succeeded',
  error: 'failed',
  cancelled: 'cancelled',
  deleted: null,
} as const satisfies Record<string, TerminalStatus | null>;
export type TaskEndEventType = keyof typeof TASK_END_STATUS;

/** Whether an event type (or a wait's outcome, which names the end event) means the task ended. */
export function endsTask(type: string): type is TaskEndEventType {
  return Object.hasOwn(TASK_END_STATUS, type);
}

/** The event that brought a task to each terminal status (TASK_END_STATUS read backwards). */
export const END_EVENT_OF = Object.fromEntries(
  Object.entries(TASK_END_STATUS)
    .filter(([, status]) => status !== null)
    .map(([type, status]) => [status, type]),
) as Readonly<Record<TerminalStatus, TaskEndEventType>>;

// --- Server-Sent Events: the stream has fewer kinds than the log ---

/** The SSE `event:` name each log event is sent under. */
export const STREAM_EVENT_OF = {
  created: 'progress',
  progress: 'progress',
  retrying: 'progress',
  done: 'done',
  error: 'error',
  segment: 'segment',
  cancelled: 'cancelled',
  deleted: 'deleted',
  artifact: 'artifact',
  renamed: 'progress',
} as const satisfies Record<TaskEventType, string>;
export type StreamEventType = (typeof STREAM_EVENT_OF)[TaskEventType];

/** Stream events whose data is `{task}`, the task's current public view. */
export const TASK_VIEW_STREAM_EVENTS = ['progress', 'done', 'error'] as const satisfies readonly StreamEventType[];
/** Stream events whose data is `{task_id}`: the task was cancelled or deleted (its row is re-read). */
export const GONE_STREAM_EVENTS = ['cancelled', 'deleted'] as const satisfies readonly StreamEventType[];

/** The data of a `segment` stream event. */
export interface SegmentStreamData {
  task_id: string;
  index: number;
  segments: Segment[];
}

/** The data of an `artifact` stream event: the artifact's state when the event was logged. */
export interface ArtifactStreamData {
  task_id: string;
  kind: ArtifactKind;
  status: ArtifactStatus;
  stage: ArtifactStage;
  progress: { done_windows: number; total_windows: number };
  attempts: number;
  error: { code: string; message: string } | null;
  /** See ArtifactView's `revision`. */
  revision: number | null;
}
