import type { Artifact, ArtifactKind, ArtifactProgress, ArtifactResult } from '../core/artifact.js';
import type { FailureInfo } from '../core/errors/index.js';
import type { TaskEvent, TaskEventType } from '../core/event.js';
import type { SearchHit, SearchPage } from '../core/search.js';
import type {
  ChunkCheckpoint,
  ChunkPlan,
  SortOrder,
  Task,
  TaskOptions,
  TaskSort,
  TaskStage,
  TaskStatus,
} from '../core/task.js';
import type { Transcript } from '../core/transcript.js';
import type {
  RevisedTranscript,
  TranscriptEditRequest,
  TranscriptEditResult,
  TranscriptHistory,
} from '../core/transcript-revision.js';
import type { Role, User } from '../core/user.js';
import type { WebhookDelivery, WebhookDeliveryStatus, WebhookFailure, WebhookRetryPolicy } from '../core/webhook.js';
import type { RegisteredWorker, WorkerRegistration, WorkerRunState } from '../core/worker-registration.js';

/** Which tasks a caller may see: one user's, or (admin) everybody's. */
export type Scope = { userId: string } | { admin: true };

export interface NewTask {
  id: string;
  userId: string;
  priority: number;
  sourceName: string;
  mediaPath: string;
  mediaBytes: number;
  options: TaskOptions;
  callbackUrl: string | null;
  maxAttempts: number;
  durationSeconds: number | null;
  /** The user's own name for the recording (already normalised); none when absent. */
  title?: string | null;
}

export interface ListFilter {
  status?: TaskStatus;
  limit: number;
  offset: number;
  /** Case-insensitive substring of the title or the source name, taken literally (no wildcards). */
  q?: string;
  /** Created at or after this time (ms since epoch). */
  createdFrom?: number;
  /** Created before this time (ms since epoch). */
  createdBefore?: number;
  /** Sort key; `created` when absent. Ties are broken by id in the same direction. */
  sort?: TaskSort;
  /** `desc` when absent. */
  order?: SortOrder;
}

export interface TaskPage {
  tasks: Task[];
  /** Tasks matching the filter (for paging). */
  total: number;
  /** The scope's tasks by status, ignoring the status filter (the q and date filters apply). */
  counts: Record<TaskStatus, number>;
}

export interface ProgressUpdate {
  stage: TaskStage;
  doneSeconds: number;
  durationSeconds?: number;
  speed?: number | null;
}

/** Defined with the errors, which alone decide `retryable`; re-exported for the adapters. */
export type { FailureInfo };

/** A planned chunk and, once recognised, its checkpoint. */
export interface ChunkRow extends ChunkPlan {
  checkpoint: ChunkCheckpoint | null;
}

export interface StoredPlan {
  /** True once the whole recording has been planned; a resumed run may then skip VAD. */
  complete: boolean;
  chunks: ChunkRow[];
}

/**
 * The persistent task queue. Every transition is one atomic operation; those a worker makes
 * (heartbeat, progress, plan, checkpoint, complete, fail) succeed only while `workerId` holds the
 * task's lease, so a worker that lost its lease (expiry, cancel, delete) can never overwrite the
 * row. Every transition appends to the event log in the same transaction. Implemented by SQLite
 * and PostgreSQL adapters and checked by one conformance suite.
 */
export interface TaskStore {
  /** Applies pending migrations. Idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // --- users ---
  createUser(name: string, role: Role, tokenHash: string): Promise<User>;
  findUserByTokenHash(tokenHash: string): Promise<User | null>;
  listUsers(): Promise<User[]>;

  // --- creating and reading tasks ---
  /** Inserts a queued task. Rejects with QueueFullError when `maxQueued` tasks are already queued. */
  enqueue(task: NewTask, maxQueued: number): Promise<Task>;
  /**
   * Inserts a task that is already finished: its audio and transcript were produced elsewhere (a
   * saved live session), so it never queues, is not bound by `maxQueued` and no worker claims it.
   * The row is status 'succeeded', stage 'done', attempts 0, duration and done seconds taken from
   * `transcript.duration` (`task.durationSeconds` is ignored), started and finished now. The
   * transcript is stored as `complete` stores it, and the log gets the events a task that ran ends
   * with, 'created' then 'done' (payloads from the row as inserted), so event streams, webhooks and
   * metrics see an ordinary finished task. One transaction. Rejects with ConflictError on a
   * duplicate id.
   */
  addFinished(task: NewTask, transcript: Transcript): Promise<Task>;
  /** A task visible in `scope`, or null (missing and foreign look the same). */
  get(id: string, scope: Scope): Promise<Task | null>;
  list(scope: Scope, filter: ListFilter): Promise<TaskPage>;
  /** Every stored task, by status. On PostgreSQL its cost grows with the stored tasks (metrics use it). */
  countByStatus(): Promise<Record<TaskStatus, number>>;
  /**
   * The queued tasks, from counters the store keeps (SQLite migration 12, PostgreSQL migration 14):
   * its cost does not grow with the stored or the queued tasks. For checks on every request (an
   * upload's early refusal, readiness); the enqueue's bound is checked again, atomically.
   */
  queuedCount(): Promise<number>;

  // --- worker transitions ---
  /**
   * Atomically takes the best runnable task (status queued, runAt <= now; highest priority, then
   * oldest) for `workerId`, counts an attempt and grants a lease of `leaseMs`. Null if none.
   */
  claim(workerId: string, leaseMs: number): Promise<Task | null>;
  /** Extends the lease. False when the lease is no longer held (the worker must stop at once). */
  heartbeat(id: string, workerId: string, leaseMs: number): Promise<boolean>;
  /** Records progress and appends a progress event. False when the lease is not held. */
  reportProgress(id: string, workerId: string, progress: ProgressUpdate): Promise<boolean>;
  /** Persists planned chunks (rows already present are kept). `complete` marks the plan final. */
  savePlan(id: string, workerId: string, chunks: ChunkPlan[], complete: boolean): Promise<boolean>;
  getPlan(id: string): Promise<StoredPlan>;
  /** Stores a recognised chunk and appends a segment event. False when the lease is not held. */
  checkpointChunk(id: string, workerId: string, checkpoint: ChunkCheckpoint): Promise<boolean>;
  /**
   * Marks the task succeeded and stores its transcript. In the same transaction, queues the
   * artifacts its options ask for (`summary`, `polish`), so they survive a restart between the two.
   * False when the lease is not held.
   */
  complete(id: string, workerId: string, transcript: Transcript): Promise<boolean>;
  /**
   * Ends an attempt that failed. Retryable failures with attempts left go back to `queued` with
   * runAt = now + backoff; others become `failed`. Returns the updated task, or null when the lease
   * was not held.
   */
  fail(id: string, workerId: string, failure: FailureInfo): Promise<Task | null>;
  /** Gives a task back without counting the attempt (graceful shutdown). */
  release(id: string, workerId: string): Promise<boolean>;
  /**
   * Re-queues (or fails, when attempts are used up) processing tasks whose lease expired before
   * `now`: their worker died. Returns how many were reclaimed.
   */
  reclaimExpired(now: number): Promise<number>;

  // --- user transitions ---
  /** queued/processing -> cancelled (the lease is dropped, so the worker stops); removes checkpoints. */
  cancel(id: string, scope: Scope): Promise<Task | null>;
  /** failed/cancelled -> queued with attempts reset. Null if not visible; throws ConflictError otherwise. */
  retry(id: string, scope: Scope): Promise<Task | null>;
  /** Removes the task, its checkpoints, transcript and artifacts. Returns the removed row (to delete its files). */
  remove(id: string, scope: Scope): Promise<Task | null>;
  /** The final transcript, or null until the task succeeded. */
  getTranscript(id: string): Promise<Transcript | null>;

  // --- post-processing artifacts (summary, polish): their own lifecycle and lease ---
  // Each change of an artifact's state (queued, claimed, progress, succeeded, failed, released,
  // reclaimed) appends an `artifact` event to its task's log in the same transaction; a heartbeat does not.
  /**
   * Queues artifact `kind` of a succeeded task visible in `scope` (max attempts copied from the
   * task). A failed artifact is queued again with attempts reset; a queued, running or succeeded one
   * is returned unchanged. Null if the task is not visible; ConflictError('not_ready') unless it succeeded.
   */
  requestArtifact(taskId: string, kind: ArtifactKind, scope: Scope): Promise<Artifact | null>;
  /** The artifact's small row (never its result), or null. Not scoped: check the task first. */
  getArtifact(taskId: string, kind: ArtifactKind): Promise<Artifact | null>;
  /**
   * Atomically takes the oldest due queued artifact for `workerId` (status running, an attempt
   * counted, stage 'waiting', progress and error cleared, a lease of `leaseMs`), unless `maxRunning`
   * artifacts with an unexpired lease are running already: the bound holds across every server of
   * a deployment sharing the store. Null if none may be taken.
   */
  claimArtifact(workerId: string, leaseMs: number, maxRunning: number): Promise<Artifact | null>;
  /** Extends the artifact's lease. False when `workerId` no longer holds it. */
  heartbeatArtifact(taskId: string, kind: ArtifactKind, workerId: string, leaseMs: number): Promise<boolean>;
  /** Records the stage and windows done/total. False when the lease is not held. */
  reportArtifactProgress(
    taskId: string,
    kind: ArtifactKind,
    workerId: string,
    progress: ArtifactProgress,
  ): Promise<boolean>;
  /**
   * Stores the result and marks the artifact succeeded (stage 'done'), made from the transcript's
   * `revision`. False when the lease is not held.
   */
  completeArtifact<K extends ArtifactKind>(
    taskId: string,
    kind: K,
    workerId: string,
    result: ArtifactResult<K>,
    revision: number,
  ): Promise<boolean>;
  /**
   * Ends an attempt that failed: retryable with attempts left -> queued with runAt = now + backoff,
   * else failed. The updated row, or null when the lease was not held.
   */
  failArtifact(taskId: string, kind: ArtifactKind, workerId: string, failure: FailureInfo): Promise<Artifact | null>;
  /** Gives an artifact back without counting the attempt (graceful shutdown). */
  releaseArtifact(taskId: string, kind: ArtifactKind, workerId: string): Promise<boolean>;
  /** Running artifacts whose lease expired before `now` fail as WORKER_LOST (retryable). Returns how many. */
  reclaimExpiredArtifacts(now: number): Promise<number>;
  /** The stored result, read only when asked for; null until the artifact succeeded. */
  getArtifactResult<K extends ArtifactKind>(taskId: string, kind: K): Promise<ArtifactResult<K> | null>;

  // --- events ---
  /** Events after `afterSeq` in order, at most `limit`, optionally for one task or one user. */
  readEvents(afterSeq: number, limit: number, filter?: { taskId?: string; userId?: string }): Promise<TaskEvent[]>;
  latestEventSeq(): Promise<number>;
  /** Drops events older than `olderThan` (ms epoch) and all but the newest `keep`. Returns rows removed. */
  pruneEvents(olderThan: number, keep: number): Promise<number>;

  // --- webhook outbox (task-finished callbacks) ---
  // The store itself writes one `pending` delivery per `done` or `error` event of a task that has a
  // callback_url, in the transaction that logs the event, so a finished task never loses its
  // callback to a crash. Deliveries go with their task when it is deleted.
  /**
   * The user's signing secret (`whsec_…`). Users get one at creation; one created before secrets
   * existed gets it here, on first use. Null for an unknown user.
   */
  webhookSecret(userId: string): Promise<string | null>;
  /** Replaces the user's signing secret; the new one, or null for an unknown user. */
  rotateWebhookSecret(userId: string): Promise<string | null>;
  /**
   * Atomically takes up to `limit` claimable deliveries for `owner`, oldest due first: pending ones
   * due (runAt <= now), and sending ones whose lease expired (their sender died; that try counts).
   * Each becomes `sending` with a try counted and a lease of `leaseMs`. Expired ones without tries
   * left under `policy` become `failed` instead. Concurrent claimers never take the same delivery.
   */
  claimWebhookDeliveries(
    owner: string,
    leaseMs: number,
    limit: number,
    policy: WebhookRetryPolicy,
  ): Promise<WebhookDelivery[]>;
  /** sending -> delivered, recording the answer's status. Null when `owner` no longer holds the lease. */
  completeWebhookDelivery(id: string, owner: string, httpStatus: number): Promise<WebhookDelivery | null>;
  /**
   * A try failed: back to `pending` at now + backoff while `policy` leaves tries and the failure is
   * not final, else `failed`. Records the status and error either way. Null when the lease is not held.
   */
  failWebhookDelivery(
    id: string,
    owner: string,
    failure: WebhookFailure,
    policy: WebhookRetryPolicy,
  ): Promise<WebhookDelivery | null>;
  /** A task's deliveries, oldest first, at most `limit`. Not scoped: check the task first. */
  listWebhookDeliveries(taskId: string, limit: number): Promise<WebhookDelivery[]>;
  /**
   * When a delivery next becomes claimable: the earliest runAt of pending ones and lease expiry of
   * sending ones (possibly in the past). Null when none is waiting.
   */
  nextWebhookDueAt(): Promise<number | null>;
  /** Deliveries by status (every status present). */
  countWebhookDeliveries(): Promise<Record<WebhookDeliveryStatus, number>>;

  // --- worker registry: one row per worker process on any host (see core/worker-registration.ts) ---
  /**
   * Records a worker that starts: state running, no tasks, started and heartbeat now, lease
   * `leaseMs`. A row left under the same id (a crashed process whose id was reused) is replaced.
   */
  registerWorker(worker: WorkerRegistration): Promise<RegisteredWorker>;
  /**
   * Renews the worker's lease (now + the lease it registered with) and records the tasks it runs.
   * Returns the state an admin set (`draining`: claim nothing new, finish, exit), or null when the
   * row is gone (deregistered or pruned: the worker registers again).
   */
  heartbeatWorker(id: string, taskIds: readonly string[]): Promise<WorkerRunState | null>;
  /** Registered workers, by host then start time, at most `limit`; `stale` when their lease expired. */
  listWorkers(limit: number): Promise<RegisteredWorker[]>;
  /** Sets the admin's flag (draining or running again); the worker reads it at its next heartbeat. Null if unknown. */
  setWorkerState(id: string, state: WorkerRunState): Promise<RegisteredWorker | null>;
  /** Removes the worker's row (a graceful exit). False when there was none. */
  deregisterWorker(id: string): Promise<boolean>;
  /** Removes rows whose lease expired before `expiredBefore` (workers long dead). Returns how many. */
  pruneWorkers(expiredBefore: number): Promise<number>;

  // --- search (one hit per transcript segment; see core/search.ts for the query language) ---
  /**
   * Segments of the transcripts `scope` may see that match `q`: words all present, "quoted phrases"
   * with their words adjacent and in order. Best match first, ties by task id then segment index, so
   * pages never overlap. A transcript is found from the moment it is stored and not after its task is
   * deleted. Never fails on what `q` contains: a query with nothing searchable finds nothing.
   */
  searchTranscripts(scope: Scope, q: string, page: SearchPage): Promise<SearchHit[]>;

  // --- transcript revisions (edits by people; see core/transcript-revision.ts) ---
  /**
   * Makes the next revision of a succeeded task's transcript visible in `scope`, atomically: the
   * newest revision is read, compared with `request.expected` (when not null), changed (operations
   * applied, or an older revision copied) and stored as the transcript with its number one higher,
   * with its history row, in one transaction that excludes concurrent edits of the task, so of two
   * edits expecting the same revision exactly one succeeds. The first edit also records revision 0
   * (the machine transcript, dated when the task finished). Throws InvalidEditError, storing nothing,
   * when an operation cannot apply.
   */
  editTranscript(taskId: string, scope: Scope, request: TranscriptEditRequest): Promise<TranscriptEditResult>;
  /** The newest transcript and its revision number (0 until edited), or null until the task succeeded. */
  getTranscriptWithRevision(taskId: string): Promise<RevisedTranscript | null>;
  /** Revision `revision`'s content (rebuilt from the history), or null when it does not exist. Not scoped. */
  getTranscriptRevision(taskId: string, revision: number): Promise<Transcript | null>;
  /**
   * The history, oldest first, limited to the newest `limit` revisions, with editors' names; just
   * revision 0 before any edit. Null when the task has no transcript. Not scoped: check the task first.
   */
  listTranscriptRevisions(taskId: string, limit: number): Promise<TranscriptHistory | null>;

  // --- library ---
  /**
   * Sets (or, with null, clears) the title of a task visible in `scope`; updatedAt moves, nothing
   * else changes (the transcript is untouched), and a 'renamed' event is logged in the same
   * transaction. The updated task, or null when it is not visible.
   */
  setTitle(id: string, scope: Scope, title: string | null): Promise<Task | null>;

  // --- completing and claiming in one step (a worker with a slot free after a task ends) ---
  /**
   * `complete(id, workerId, transcript)` and then, only if that succeeded, `claim(workerId, leaseMs)`,
   * as one atomic step: one commit instead of two on the path every task takes (as BullMQ's
   * moveToFinished completes a job and fetches the next in one round trip). The completed task's row,
   * transcript, artifacts and events are exactly those `complete` writes; the claimed one's those
   * `claim` writes. `completed` false (the lease was not held): nothing was written and nothing
   * claimed. `next` null: nothing was runnable (or, rarely on PostgreSQL, the candidate was enqueued
   * after the step began: a plain `claim` finds it).
   */
  completeAndClaim(id: string, workerId: string, transcript: Transcript, leaseMs: number): Promise<CompleteAndClaim>;
}

/** What completeAndClaim did: whether the task completed, and the task claimed next (or null). */
export interface CompleteAndClaim {
  completed: boolean;
  next: Task | null;
}

export type { TaskEvent, TaskEventType };
