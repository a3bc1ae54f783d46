import type { Artifact, ArtifactKind, ArtifactProgress, ArtifactResult } from '../../core/artifact.js';
import { QueueFullError } from '../../core/errors/index.js';
import type { TaskEvent, TaskEventData, TaskEventType } from '../../core/event.js';
import type { SearchHit, SearchPage } from '../../core/search.js';
import { type ChunkCheckpoint, type ChunkPlan, isTerminal, type Task, type TaskStatus } from '../../core/task.js';
import type { Transcript } from '../../core/transcript.js';
import type {
  RevisedTranscript,
  TranscriptEditRequest,
  TranscriptEditResult,
  TranscriptHistory,
} from '../../core/transcript-revision.js';
import type { Role, User } from '../../core/user.js';
import type { WebhookDelivery, WebhookDeliveryStatus, WebhookFailure, WebhookRetryPolicy } from '../../core/webhook.js';
import type { RegisteredWorker, WorkerRegistration, WorkerRunState } from '../../core/worker-registration.js';
import { type ResolvedStoreOptions, resolveStoreOptions, type StoreOptions } from '../store-options.js';
import { type Row, taskFromRow } from '../task.rows.js';
import type {
  CompleteAndClaim,
  FailureInfo,
  ListFilter,
  NewTask,
  ProgressUpdate,
  Scope,
  StoredPlan,
  TaskPage,
  TaskStore,
} from '../task.store.js';
import {
  assertRetryable,
  createdData,
  doneData,
  failureData,
  failureOutcome,
  progressData,
  segmentData,
  statusData,
  WORKER_LOST,
} from '../task.transitions.js';
import { TranscriptCache } from '../transcript-cache.js';
import * as artifacts from './sqlite.artifacts.js';
import * as chunks from './sqlite.chunks.js';
import { SqliteDb } from './sqlite.db.js';
import * as events from './sqlite.events.js';
import * as library from './sqlite.library.js';
import * as reads from './sqlite.reads.js';
import * as revisions from './sqlite.revisions.js';
import * as search from './sqlite.search.js';
import * as users from './sqlite.users.js';
import * as webhooks from './sqlite.webhooks.js';
import * as workers from './sqlite.workers.js';

export interface SqliteStoreOptions extends StoreOptions {
  /**
   * How long a write waits for another connection's write lock before failing with SQLITE_BUSY.
   * The server and every worker process write the same file; each write transaction is a few small
   * indexed statements, so waits are short and 5 s only trips when something is badly wrong.
   */
  busyTimeoutMs?: number;
}

/** Holder-only conditions shared by every worker transition. */
const HELD = "id = @id AND status = 'processing' AND lease_owner = @workerId";

/**
 * TaskStore on one SQLite file, shared by the HTTP server and worker processes (see SqliteDb for
 * the locking). better-sqlite3 is synchronous; the methods return Promises to fit the interface,
 * and each holds the thread only for a few small indexed statements.
 */
export class SqliteTaskStore implements TaskStore {
  private readonly db: SqliteDb;
  private readonly opts: ResolvedStoreOptions;
  /** The newest transcript of recently edited tasks (store/transcript-cache.ts). */
  private readonly transcriptCache = new TranscriptCache();

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.opts = resolveStoreOptions(options);
    this.db = new SqliteDb(path, options.busyTimeoutMs ?? 5000);
  }

  /** Idempotent, and safe when several processes call it at once. */
  async migrate(): Promise<void> {
    this.db.migrate(this.opts.now());
  }

  async close(): Promise<void> {
    this.db.close();
  }

  // --- users ---

  /** Rejects with ConflictError('user_exists') when the name or token hash is taken. */
  async createUser(name: string, role: Role, tokenHash: string): Promise<User> {
    return users.createUser(this.db, name, role, tokenHash, this.opts.now());
  }

  async findUserByTokenHash(tokenHash: string): Promise<User | null> {
    return users.findUserByTokenHash(this.db, tokenHash);
  }

  /** All users, oldest first. */
  async listUsers(): Promise<User[]> {
    return users.listUsers(this.db);
  }

  // --- creating and reading tasks ---

  /**
   * The bound counts every queued task, including those waiting out a retry backoff; processing
   * tasks do not count. A non-finite `maxQueued` (Infinity) disables it. The count (a row triggers keep,
   * migration 12) and the insert share one write transaction, so concurrent enqueues cannot overshoot
   * the bound.
   */
  async enqueue(task: NewTask, maxQueued: number): Promise<Task> {
    return this.db.write(() => {
      const now = this.opts.now();
      if (Number.isFinite(maxQueued)) {
        const queued = reads.queuedCount(this.db);
        if (queued >= maxQueued) throw new QueueFullError();
      }
      const row = this.db.get(
        `INSERT INTO tasks (id, user_id, status, stage, priority, source_name, media_path, media_bytes, options,
           callback_url, attempts, max_attempts, run_at, duration_seconds, done_seconds, created_at, updated_at, title)
         VALUES (@id, @userId, 'queued', 'waiting', @priority, @sourceName, @mediaPath, @mediaBytes, @options,
           @callbackUrl, 0, @maxAttempts, @now, @durationSeconds, 0, @now, @now, @title)
         RETURNING *`,
        { ...task, options: JSON.stringify(task.options), title: task.title ?? null, now },
      );
      const created = taskFromRow(row as Row);
      this.event(created, 'created', createdData(created), now);
      return created;
    });
  }

  /** See TaskStore.addFinished; one write transaction, never bound by maxQueued (it never queues). */
  async addFinished(task: NewTask, transcript: Transcript): Promise<Task> {
    return this.db.write(() => {
      const now = this.opts.now();
      const row = this.db.get(
        `INSERT INTO tasks (id, user_id, status, stage, priority, source_name, media_path, media_bytes, options,
           callback_url, attempts, max_attempts, run_at, duration_seconds, done_seconds, created_at, started_at,
           finished_at, updated_at, title)
         VALUES (@id, @userId, 'succeeded', 'done', @priority, @sourceName, @mediaPath, @mediaBytes, @options,
           @callbackUrl, 0, @maxAttempts, @now, @duration, @duration, @now, @now, @now, @now, @title)
         RETURNING *`,
        {
          ...task,
          options: JSON.stringify(task.options),
          title: task.title ?? null,
          duration: transcript.duration,
          now,
        },
      );
      chunks.saveTranscript(this.db, task.id, transcript);
      // Read again: storing the transcript set the row's word count (a trigger, migration 8).
      const finished = taskFromRow(this.db.get('SELECT * FROM tasks WHERE id = ?', [task.id]) ?? (row as Row));
      const queued = artifacts.queueRequested(this.db, finished, now);
      this.event(finished, 'created', createdData(finished), now);
      this.event(finished, 'done', doneData(finished), now);
      for (const a of queued) artifacts.logEvent(this.db, a, now, finished.userId);
      return finished;
    });
  }

  async get(id: string, scope: Scope): Promise<Task | null> {
    return reads.findVisible(this.db, id, scope);
  }

  /** Newest first (created_at, then id, descending). */
  async list(scope: Scope, filter: ListFilter): Promise<TaskPage> {
    return reads.listTasks(this.db, scope, filter);
  }

  async countByStatus(): Promise<Record<TaskStatus, number>> {
    return reads.countByStatus(this.db);
  }

  async queuedCount(): Promise<number> {
    return reads.queuedCount(this.db);
  }

  // --- worker transitions ---

  /** Also clears the previous attempt's error and speed, sets stage 'decoding' and appends a progress event. */
  async claim(workerId: string, leaseMs: number): Promise<Task | null> {
    return this.db.write(() => this.claimIn(workerId, leaseMs));
  }

  /** claim()'s body, inside a write transaction the caller holds. */
  private claimIn(workerId: string, leaseMs: number): Task | null {
    const now = this.opts.now();
    const row = this.db.get(
      `UPDATE tasks SET status = 'processing', stage = 'decoding', attempts = attempts + 1,
         lease_owner = @workerId, lease_expires_at = @expires, started_at = @now, finished_at = NULL,
         error_code = NULL, error_message = NULL, speed = NULL, updated_at = @now
       WHERE id = (SELECT id FROM tasks WHERE status = 'queued' AND run_at <= @now
                   ORDER BY priority DESC, created_at, id LIMIT 1)
       RETURNING *`,
      { workerId, now, expires: now + leaseMs },
    );
    if (!row) return null;
    const task = taskFromRow(row);
    this.event(task, 'progress', progressData(task), now);
    return task;
  }

  /** Succeeds for the holder even after the lease time passed, as long as no sweep reclaimed it yet. */
  async heartbeat(id: string, workerId: string, leaseMs: number): Promise<boolean> {
    return this.db.write(
      () =>
        this.db.run(`UPDATE tasks SET lease_expires_at = @expires WHERE ${HELD}`, {
          id,
          workerId,
          expires: this.opts.now() + leaseMs,
        }).changes === 1,
    );
  }

  /** `durationSeconds` and `speed` left undefined keep their stored values. */
  async reportProgress(id: string, workerId: string, progress: ProgressUpdate): Promise<boolean> {
    return this.db.write(() => {
      const now = this.opts.now();
      const row = this.db.get(
        `UPDATE tasks SET stage = @stage, done_seconds = @doneSeconds,
           duration_seconds = coalesce(@durationSeconds, duration_seconds),
           speed = CASE WHEN @setSpeed = 1 THEN @speed ELSE speed END, updated_at = @now
         WHERE ${HELD} RETURNING *`,
        {
          id,
          workerId,
          now,
          stage: progress.stage,
          doneSeconds: progress.doneSeconds,
          durationSeconds: progress.durationSeconds ?? null,
          setSpeed: progress.speed === undefined ? 0 : 1,
          speed: progress.speed ?? null,
        },
      );
      if (!row) return false;
      const task = taskFromRow(row);
      this.event(task, 'progress', progressData(task), now);
      return true;
    });
  }

  /**
   * Inserts the chunks not yet stored (existing rows and their checkpoints are kept: plans are
   * deterministic). With `complete`, marks the plan final and drops stored chunks past its last index.
   */
  async savePlan(id: string, workerId: string, plan: ChunkPlan[], complete: boolean): Promise<boolean> {
    return this.db.write(() => {
      const held = this.db.run(
        `UPDATE tasks SET plan_complete = CASE WHEN @complete = 1 THEN 1 ELSE plan_complete END, updated_at = @now
         WHERE ${HELD}`,
        { id, workerId, complete: complete ? 1 : 0, now: this.opts.now() },
      );
      if (held.changes !== 1) return false;
      chunks.insertPlan(this.db, id, plan, complete);
      return true;
    });
  }

  /** Chunks ordered by index; `{ complete: false, chunks: [] }` for an unknown task. Not scoped. */
  async getPlan(id: string): Promise<StoredPlan> {
    return chunks.readPlan(this.db, id);
  }

  /** Inserts the chunk's plan row when absent; a second checkpoint of one chunk replaces the first. */
  async checkpointChunk(id: string, workerId: string, checkpoint: ChunkCheckpoint): Promise<boolean> {
    return this.db.write(() => {
      const now = this.opts.now();
      const row = this.db.get(`UPDATE tasks SET updated_at = @now WHERE ${HELD} RETURNING *`, { id, workerId, now });
      if (!row) return false;
      chunks.upsertCheckpoint(this.db, id, checkpoint);
      this.event(taskFromRow(row), 'segment', segmentData(checkpoint), now);
      return true;
    });
  }

  /**
   * done_seconds becomes the duration (the probed one, else the transcript's, which also fills a
   * missing duration). Checkpoints are kept.
   */
  async complete(id: string, workerId: string, transcript: Transcript): Promise<boolean> {
    return this.db.write(() => this.completeIn(id, workerId, transcript));
  }

  /** complete()'s body, inside a write transaction the caller holds. */
  private completeIn(id: string, workerId: string, transcript: Transcript): boolean {
    const now = this.opts.now();
    const row = this.db.get(
      `UPDATE tasks SET status = 'succeeded', stage = 'done',
         duration_seconds = coalesce(duration_seconds, @duration), done_seconds = coalesce(duration_seconds, @duration),
         finished_at = @now, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
       WHERE ${HELD} RETURNING *`,
      { id, workerId, now, duration: transcript.duration },
    );
    if (!row) return false;
    chunks.saveTranscript(this.db, id, transcript);
    const task = taskFromRow(row);
    const queued = artifacts.queueRequested(this.db, task, now);
    this.event(task, 'done', doneData(task), now);
    for (const a of queued) artifacts.logEvent(this.db, a, now, task.userId);
    return true;
  }

  /**
   * A retry goes back to `queued` with stage 'waiting' and runAt = now + backoffMs(attempts) and
   * appends 'retrying'; a final failure appends 'error'. Checkpoints are kept either way, so a retry
   * (automatic or by the user) resumes where the failed attempt stopped.
   */
  async fail(id: string, workerId: string, failure: FailureInfo): Promise<Task | null> {
    return this.db.write(() => {
      const row = this.db.get(`SELECT * FROM tasks WHERE ${HELD}`, { id, workerId });
      return row ? this.applyFailure(taskFromRow(row), failure, this.opts.now()) : null;
    });
  }

  /**
   * Back to `queued` (stage 'waiting', runAt unchanged so it is due at once) and the attempt is not
   * counted. Appends a progress event.
   */
  async release(id: string, workerId: string): Promise<boolean> {
    return this.db.write(() => {
      const now = this.opts.now();
      const row = this.db.get(
        `UPDATE tasks SET status = 'queued', stage = 'waiting', attempts = max(attempts - 1, 0),
           lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
         WHERE ${HELD} RETURNING *`,
        { id, workerId, now },
      );
      if (!row) return false;
      const task = taskFromRow(row);
      this.event(task, 'progress', progressData(task), now);
      return true;
    });
  }

  /** Each expired task fails as if its worker reported WORKER_LOST (retryable), at time `now`. */
  async reclaimExpired(now: number): Promise<number> {
    return this.db.write(() => {
      const rows = this.db.all("SELECT * FROM tasks WHERE status = 'processing' AND lease_expires_at < ?", [now]);
      for (const row of rows) this.applyFailure(taskFromRow(row), WORKER_LOST, now);
      return rows.length;
    });
  }

  // --- user transitions ---

  /** Also drops the plan; an already finished task is returned unchanged (idempotent). */
  async cancel(id: string, scope: Scope): Promise<Task | null> {
    return this.db.write(() => {
      const task = reads.findVisible(this.db, id, scope);
      if (!task || isTerminal(task.status)) return task;
      const now = this.opts.now();
      const row = this.db.get(
        `UPDATE tasks SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, plan_complete = 0,
           finished_at = @now, updated_at = @now
         WHERE id = @id RETURNING *`,
        { id, now },
      );
      chunks.deletePlan(this.db, id);
      const cancelled = taskFromRow(row as Row);
      this.event(cancelled, 'cancelled', statusData(cancelled), now);
      return cancelled;
    });
  }

  /**
   * Due at once, stage 'waiting', error cleared; a failed task keeps its checkpoints (a cancelled one
   * has none, so its done_seconds restarts at 0). Appends 'retrying'. Not bound by maxQueued.
   */
  async retry(id: string, scope: Scope): Promise<Task | null> {
    return this.db.write(() => {
      const task = reads.findVisible(this.db, id, scope);
      if (!task) return null;
      assertRetryable(task);
      const now = this.opts.now();
      const row = this.db.get(
        `UPDATE tasks SET status = 'queued', stage = 'waiting', attempts = 0, run_at = @now,
           done_seconds = CASE WHEN status = 'cancelled' THEN 0 ELSE done_seconds END, speed = NULL,
           error_code = NULL, error_message = NULL, started_at = NULL, finished_at = NULL, updated_at = @now
         WHERE id = @id RETURNING *`,
        { id, now },
      );
      const queued = taskFromRow(row as Row);
      this.event(queued, 'retrying', failureData(queued), now);
      return queued;
    });
  }

  /** Deletes in any state (a processing task's worker then loses its lease); appends 'deleted'. */
  async remove(id: string, scope: Scope): Promise<Task | null> {
    return this.db.write(() => {
      const task = reads.findVisible(this.db, id, scope);
      if (!task) return null;
      this.db.run('DELETE FROM tasks WHERE id = ?', [id]);
      this.transcriptCache.delete(id);
      this.event(task, 'deleted', statusData(task), this.opts.now());
      return task;
    });
  }

  async getTranscript(id: string): Promise<Transcript | null> {
    return chunks.readTranscript(this.db, id);
  }

  // --- post-processing artifacts ---

  async requestArtifact(taskId: string, kind: ArtifactKind, scope: Scope): Promise<Artifact | null> {
    return this.db.write(() => artifacts.request(this.db, taskId, kind, scope, this.opts.now()));
  }

  async getArtifact(taskId: string, kind: ArtifactKind): Promise<Artifact | null> {
    return artifacts.find(this.db, taskId, kind);
  }

  /** The running count and the take share one BEGIN IMMEDIATE, so concurrent claimers cannot overshoot. */
  async claimArtifact(workerId: string, leaseMs: number, maxRunning: number): Promise<Artifact | null> {
    return this.db.write(() => artifacts.claim(this.db, workerId, leaseMs, maxRunning, this.opts.now()));
  }

  async heartbeatArtifact(taskId: string, kind: ArtifactKind, workerId: string, leaseMs: number): Promise<boolean> {
    return this.db.write(() => artifacts.heartbeat(this.db, taskId, kind, workerId, this.opts.now() + leaseMs));
  }

  async reportArtifactProgress(
    taskId: string,
    kind: ArtifactKind,
    workerId: string,
    progress: ArtifactProgress,
  ): Promise<boolean> {
    return this.db.write(() => artifacts.progress(this.db, taskId, kind, workerId, progress, this.opts.now()));
  }

  async completeArtifact<K extends ArtifactKind>(
    taskId: string,
    kind: K,
    workerId: string,
    result: ArtifactResult<K>,
    revision: number,
  ): Promise<boolean> {
    return this.db.write(() => artifacts.complete(this.db, taskId, kind, workerId, result, revision, this.opts.now()));
  }

  async failArtifact(
    taskId: string,
    kind: ArtifactKind,
    workerId: string,
    failure: FailureInfo,
  ): Promise<Artifact | null> {
    return this.db.write(() =>
      artifacts.fail(this.db, taskId, kind, workerId, failure, this.opts.now(), this.opts.retryDelaysMs),
    );
  }

  async releaseArtifact(taskId: string, kind: ArtifactKind, workerId: string): Promise<boolean> {
    return this.db.write(() => artifacts.release(this.db, taskId, kind, workerId, this.opts.now()));
  }

  async reclaimExpiredArtifacts(now: number): Promise<number> {
    return this.db.write(() => artifacts.reclaimExpired(this.db, now, this.opts.retryDelaysMs));
  }

  async getArtifactResult<K extends ArtifactKind>(taskId: string, kind: K): Promise<ArtifactResult<K> | null> {
    return artifacts.readResult(this.db, taskId, kind);
  }

  // --- events ---

  async readEvents(
    afterSeq: number,
    limit: number,
    filter: { taskId?: string; userId?: string } = {},
  ): Promise<TaskEvent[]> {
    return events.readEvents(this.db, afterSeq, limit, filter);
  }

  /** 0 when the log is empty. */
  async latestEventSeq(): Promise<number> {
    return events.latestEventSeq(this.db);
  }

  /** Removes the union of both sets: events older than `olderThan`, and every event but the newest `keep`. */
  async pruneEvents(olderThan: number, keep: number): Promise<number> {
    return events.pruneEvents(this.db, olderThan, keep);
  }

  // --- internals ---

  /** The shared end of fail() and reclaimExpired(); `task` is a processing row read in this transaction. */
  private applyFailure(task: Task, failure: FailureInfo, now: number): Task {
    const outcome = failureOutcome(task, failure, now, this.opts.retryDelaysMs);
    const row = outcome.retry
      ? this.db.get(
          `UPDATE tasks SET status = 'queued', stage = 'waiting', run_at = @runAt, error_code = @code,
             error_message = @message, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
           WHERE id = @id RETURNING *`,
          { id: task.id, runAt: outcome.runAt, code: failure.code, message: failure.message, now },
        )
      : this.db.get(
          `UPDATE tasks SET status = 'failed', error_code = @code, error_message = @message,
             lease_owner = NULL, lease_expires_at = NULL, finished_at = @now, updated_at = @now
           WHERE id = @id RETURNING *`,
          { id: task.id, code: failure.code, message: failure.message, now },
        );
    const updated = taskFromRow(row as Row);
    this.event(updated, outcome.retry ? 'retrying' : 'error', failureData(updated), now);
    return updated;
  }

  private event<T extends TaskEventType>(task: Task, type: T, data: TaskEventData<T>, now: number): void {
    events.appendEvent(this.db, task, type, data, now);
  }

  // --- webhook outbox ---

  /** A read while the secret exists; a write only for a user that has none yet. */
  async webhookSecret(userId: string): Promise<string | null> {
    return webhooks.storedSecret(this.db, userId) ?? this.db.write(() => webhooks.secret(this.db, userId));
  }

  async rotateWebhookSecret(userId: string): Promise<string | null> {
    return this.db.write(() => webhooks.rotate(this.db, userId));
  }

  /** The expiry sweep, the choice and the take share one BEGIN IMMEDIATE: no two processes take one delivery. */
  async claimWebhookDeliveries(
    owner: string,
    leaseMs: number,
    limit: number,
    policy: WebhookRetryPolicy,
  ): Promise<WebhookDelivery[]> {
    return this.db.write(() => webhooks.claim(this.db, owner, leaseMs, limit, policy, this.opts.now()));
  }

  async completeWebhookDelivery(id: string, owner: string, httpStatus: number): Promise<WebhookDelivery | null> {
    return this.db.write(() => webhooks.complete(this.db, id, owner, httpStatus, this.opts.now()));
  }

  async failWebhookDelivery(
    id: string,
    owner: string,
    failure: WebhookFailure,
    policy: WebhookRetryPolicy,
  ): Promise<WebhookDelivery | null> {
    return this.db.write(() => webhooks.fail(this.db, id, owner, failure, policy, this.opts.now()));
  }

  async listWebhookDeliveries(taskId: string, limit: number): Promise<WebhookDelivery[]> {
    return webhooks.list(this.db, taskId, limit);
  }

  async nextWebhookDueAt(): Promise<number | null> {
    return webhooks.nextDueAt(this.db);
  }

  async countWebhookDeliveries(): Promise<Record<WebhookDeliveryStatus, number>> {
    return webhooks.countByStatus(this.db);
  }

  // --- worker registry ---

  async registerWorker(worker: WorkerRegistration): Promise<RegisteredWorker> {
    return workers.register(this.db, worker, this.opts.now());
  }

  async heartbeatWorker(id: string, taskIds: readonly string[]): Promise<WorkerRunState | null> {
    return workers.heartbeat(this.db, id, taskIds, this.opts.now());
  }

  async listWorkers(limit: number): Promise<RegisteredWorker[]> {
    return workers.list(this.db, limit, this.opts.now());
  }

  async setWorkerState(id: string, state: WorkerRunState): Promise<RegisteredWorker | null> {
    return workers.setState(this.db, id, state, this.opts.now());
  }

  async deregisterWorker(id: string): Promise<boolean> {
    return workers.deregister(this.db, id);
  }

  async pruneWorkers(expiredBefore: number): Promise<number> {
    return workers.prune(this.db, expiredBefore);
  }

  // --- search ---

  async searchTranscripts(scope: Scope, q: string, page: SearchPage): Promise<SearchHit[]> {
    return search.search(this.db, scope, q, page);
  }

  // --- transcript revisions ---

  async editTranscript(taskId: string, scope: Scope, request: TranscriptEditRequest): Promise<TranscriptEditResult> {
    return revisions.editTranscript(this.db, this.transcriptCache, taskId, scope, request, this.opts.now());
  }

  async getTranscriptWithRevision(taskId: string): Promise<RevisedTranscript | null> {
    return revisions.getWithRevision(this.db, taskId);
  }

  async getTranscriptRevision(taskId: string, revision: number): Promise<Transcript | null> {
    return revisions.getRevision(this.db, taskId, revision);
  }

  async listTranscriptRevisions(taskId: string, limit: number): Promise<TranscriptHistory | null> {
    return revisions.listRevisions(this.db, taskId, limit);
  }

  // --- library ---

  async setTitle(id: string, scope: Scope, title: string | null): Promise<Task | null> {
    return library.setTitle(this.db, id, scope, title, this.opts.now());
  }

  // --- completing and claiming in one step ---

  /**
   * complete() and claim() in one BEGIN IMMEDIATE. Commits here do not fsync (WAL, synchronous =
   * NORMAL), so what one transaction saves is the write lock taken once instead of twice by workers
   * that queue for it, and the pages both steps touch (the task table and its indexes, the event log)
   * appended to the WAL once: with 4 workers, claim + complete went from 1650–1750 to 2280–2350 /s
   * (bench/queue-throughput.ts, docs/benchmarks.md).
   */
  async completeAndClaim(
    id: string,
    workerId: string,
    transcript: Transcript,
    leaseMs: number,
  ): Promise<CompleteAndClaim> {
    return this.db.write(() => {
      if (!this.completeIn(id, workerId, transcript)) return { completed: false, next: null };
      return { completed: true, next: this.claimIn(workerId, leaseMs) };
    });
  }
}
