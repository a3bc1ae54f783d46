import type { Segment } from './transcript.js';

/** Kinds of task events, stored in the events log and streamed over SSE. */
export type TaskEventType =
  | 'created'
  | 'progress'
  | 'segment'
  | 'done'
  | 'error'
  | 'cancelled'
  | 'deleted'
  | 'retrying';

/** One entry of the event log. `seq` is global and increasing: it is the SSE event id used for resume. */
export interface TaskEvent {
  seq: number;
  taskId: string;
  userId: string;
  type: TaskEventType;
  data: Record<string, unknown> & { segment?: Segment };
  createdAt: number;
}
