import { type Artifact, artifactOutdated } from '../core/artifact.js';
import { ConflictError, type FailureInfo, failureOf, WorkerLostError } from '../core/errors/index.js';
import type { FailureEventData, TaskEventData } from '../core/event.js';
import { backoffMs } from '../core/retry-policy.js';
import { type ChunkCheckpoint, TASK_STATUSES, type Task, type TaskStatus } from '../core/task.js';

/**
 * Decisions and event payloads both adapters share, so SQLite and PostgreSQL cannot drift apart on
 * what a transition means; the adapters only differ in how they make it atomic.
 */

/** The failure recorded when a lease expires: the worker died or hung, so another attempt may succeed. */
export const WORKER_LOST: FailureInfo = failureOf(new WorkerLostError());

/**
 * What a failed attempt leads to: back to the queue after a backoff while the failure is retryable
 * and attempts remain (`attempts` already counts the attempt that failed), otherwise `failed`.
 */
export function failureOutcome(
  task: Pick<Task, 'attempts' | 'maxAttempts'>,
  failure: FailureInfo,
  now: number,
  delaysMs: readonly number[],
): { retry: true; runAt: number } | { retry: false } {
  if (failure.retryable && task.attempts < task.maxAttempts) {
    return { retry: true, runAt: now + backoffMs(task.attempts, delaysMs) };
  }
  return { retry: false };
}

/** Only failed and cancelled tasks may be retried by a user. */
export function assertRetryable(task: Task): void {
  if (task.status !== 'failed' && task.status !== 'cancelled') {
    throw new ConflictError(`task is ${task.status}; only failed or cancelled tasks can be retried`, 'invalid_state');
  }
}

/** Artifacts are made from a finished transcript, so only a succeeded task can have one requested. */
export function assertArtifactRequestable(task: Task): void {
  if (task.status !== 'succeeded') {
    throw new ConflictError(`the transcript is not ready (task is ${task.status})`, 'not_ready');
  }
}

/**
 * What requesting an artifact that exists already does: a failed one is queued again (attempts
 * reset), and so is an outdated one (artifactOutdated: the transcript was edited since, so the summary
 * or polish is made again from the edit). A queued or running one, or a succeeded one of the newest
 * revision, is left as it is, so repeating a request is harmless.
 */
export function artifactRequeues(artifact: Pick<Artifact, 'status' | 'revision'>, transcriptRevision: number): boolean {
  return artifact.status === 'failed' || artifactOutdated(artifact, transcriptRevision);
}

/** Counts with every status present, so callers never meet a missing key. */
export function countsFrom(rows: readonly Record<string, unknown>[]): Record<TaskStatus, number> {
  const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
  for (const r of rows) counts[r.status as TaskStatus] = Number(r.n);
  return counts;
}

// --- event payloads (the `data` of each event type, typed in core/event.ts) ---

export function createdData(t: Task): TaskEventData<'created'> {
  return { status: t.status, stage: t.stage, priority: t.priority, sourceName: t.sourceName };
}

export function progressData(t: Task): TaskEventData<'progress'> {
  return {
    status: t.status,
    stage: t.stage,
    doneSeconds: t.doneSeconds,
    durationSeconds: t.durationSeconds,
    speed: t.speed,
    attempts: t.attempts,
  };
}

export function doneData(t: Task): TaskEventData<'done'> {
  return { status: t.status, stage: t.stage, doneSeconds: t.doneSeconds, durationSeconds: t.durationSeconds };
}

/** For `retrying` (automatic or by the user) and `error`. */
export function failureData(t: Task): FailureEventData {
  return {
    status: t.status,
    attempts: t.attempts,
    maxAttempts: t.maxAttempts,
    runAt: t.runAt,
    errorCode: t.errorCode,
    errorMessage: t.errorMessage,
  };
}

/** For `cancelled` and `deleted`. */
export function statusData(t: Task): TaskEventData<'cancelled' | 'deleted'> {
  return { status: t.status };
}

export function segmentData(c: ChunkCheckpoint): TaskEventData<'segment'> {
  return { index: c.index, startSample: c.startSample, endSample: c.endSample, segments: c.segments };
}

export function artifactData(a: Artifact): TaskEventData<'artifact'> {
  return {
    kind: a.kind,
    status: a.status,
    stage: a.stage,
    doneWindows: a.doneWindows,
    totalWindows: a.totalWindows,
    attempts: a.attempts,
    errorCode: a.errorCode,
    errorMessage: a.errorMessage,
    revision: a.revision,
  };
}
