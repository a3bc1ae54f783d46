import type { OutputFormat, Segment } from './transcript.js';

/*
 * Pure vocabulary and shapes, without Node imports: the web UI imports this module too.
 */

/**
 * The task lifecycle. `queued` also covers a task waiting out a retry backoff (its `runAt` is in the
 * future); the database enforces the same set with a CHECK constraint.
 */
export const TASK_STATUSES = ['queued', 'processing', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses of a task that has ended; only a user's retry (of a failed or cancelled one) moves it on. */
export const TERMINAL_STATUSES = ['succeeded', 'failed', 'cancelled'] as const satisfies readonly TaskStatus[];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export function isTerminal(status: TaskStatus): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly TaskStatus[]).includes(status);
}

/**
 * Where a task is inside the pipeline; shown to users, never used for control flow. `waiting` while
 * queued, `decoding` from the claim until the first chunk is planned (VAD and chunk planning run
 * inside decoding, so they have no stage of their own), then `recognizing`, `merging`, and `done` once
 * succeeded.
 */
export const TASK_STAGES = ['waiting', 'decoding', 'recognizing', 'merging', 'done'] as const;
export type TaskStage = (typeof TASK_STAGES)[number];

/** Options a user chooses when creating a task; stored with the task and handed to the pipeline. */
export interface TaskOptions {
  language: string;
  formats: OutputFormat[];
  /** Longest chunk sent to the engine, seconds. */
  maxChunkSeconds?: number;
  /** Summarise the transcript with the configured LLM once the task succeeds (see core/artifact.ts). */
  summary?: boolean;
  /** Polish the transcript with the configured LLM once the task succeeds; the machine transcript is kept. */
  polish?: boolean;
  // No per-task parallelism: the worker's engine pool (EARSHOT_CONCURRENCY) is shared by its tasks
  // and its size alone sets how many chunks are recognised at once.
}

/**
 * The small row a status poll reads. It never holds the transcript: that lives in a file and in
 * per-chunk checkpoints, read only when asked for.
 */
export interface Task {
  id: string;
  userId: string;
  status: TaskStatus;
  stage: TaskStage;
  priority: number;
  sourceName: string;
  mediaPath: string;
  mediaBytes: number;
  options: TaskOptions;
  callbackUrl: string | null;
  attempts: number;
  maxAttempts: number;
  /** Earliest time (ms since epoch) the task may be claimed; later than now during a retry backoff. */
  runAt: number;
  /** Recording duration, seconds; null until probed. */
  durationSeconds: number | null;
  /** Audio seconds recognised and checkpointed so far. */
  doneSeconds: number;
  /** Speed of this attempt in audio seconds per wall second; null until measured. */
  speed: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
  /** The user's own name for the recording (TITLE_MAX_CHARS at most); null shows the file name. */
  title: string | null;
  /** Words in the transcript, kept by the store as it is written or edited; null until there is one. */
  wordCount: number | null;
}

/** Longest title, in characters; the database enforces it too. */
export const TITLE_MAX_CHARS = 200;

/**
 * List orders: creation time, title (the source name where there is none, case-insensitive),
 * recording duration, transcript word count, status (in TASK_STATUSES order). Tasks without a
 * duration or word count come last in either direction.
 */
export const TASK_SORTS = ['created', 'title', 'duration', 'words', 'status'] as const;
export type TaskSort = (typeof TASK_SORTS)[number];
export const SORT_ORDERS = ['desc', 'asc'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

/** One planned chunk of a task's recording, in samples at 16 kHz. Deterministic for a given input. */
export interface ChunkPlan {
  index: number;
  startSample: number;
  endSample: number;
}

/** A recognised chunk, persisted as soon as it is done so a retry never redoes it. */
export interface ChunkCheckpoint extends ChunkPlan {
  segments: Segment[];
  /** Which attempt recognised it (tests use this to prove resumed runs skip finished work). */
  attempt: number;
}

export const SAMPLE_RATE = 16000;
