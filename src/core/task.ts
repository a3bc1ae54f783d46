import type { OutputFormat, Segment } from './transcript.js';

/**
 * The task lifecycle. `queued` also covers a task waiting out a retry backoff (its `runAt` is in the
 * future); the database enforces the same set with a CHECK constraint.
 */
export const TASK_STATUSES = ['queued', 'processing', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TERMINAL_STATUSES: readonly TaskStatus[] = ['succeeded', 'failed', 'cancelled'];

/** Where a processing task is inside the pipeline; shown to users, never used for control flow. */
export type TaskStage = 'waiting' | 'decoding' | 'planning' | 'recognizing' | 'merging' | 'done';

/** Options a user chooses when creating a task; stored with the task and handed to the pipeline. */
export interface TaskOptions {
  language: string;
  formats: OutputFormat[];
  /** Longest chunk sent to the engine, seconds. */
  maxChunkSeconds?: number;
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
}

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
