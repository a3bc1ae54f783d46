import {
  ARTIFACT_KINDS,
  type Artifact,
  type ArtifactKind,
  type ArtifactProgress,
  type ArtifactResult,
} from '../../core/artifact.js';
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
import * as artifacts from './postgres.artifacts.js';
import * as chunks from './postgres.chunks.js';
import * as claimNext from './postgres.claim-next.js';
import { PgDb, type PgQuery, type PgTables } from './postgres.db.js';
import { EVENT_DATA_SQL } from './postgres.event-data.js';
import * as events from './postgres.events.js';
import * as library from './postgres.library.js';
import * as reads from './postgres.reads.js';
import * as revisions from './postgres.revisions.js';
import * as search from './postgres.search.js';
import * as users from './postgres.users.js';
import * as webhooks from './postgres.webhooks.js';
import * as workers from './postgres.workers.js';

export interface PostgresStoreOptions extends StoreOptions {
  /** Schema holding the tables (created by migrate()); default 'earshot'. */
  schema?: string;
  /** Most connections the pool opens; default 10. */
  poolSize?: number;
}

/** Holder-only condition shared by every worker transition: $1 = task id, $2 = worker id. */
const HELD = "id = $1 AND status = 'processing' AND lease_owner = $2";

/** What complete() sets: $3 = the transcript's duration, $4 = now. */
const COMPLETE_SET = `status = 'succeeded', stage = 'done',
  duration_seconds = coalesce(duration_seconds, $3), done_seconds = coalesce(duration_seconds, $3),
  finished_at = $4, lease_owner = NULL, lease_expires_at = NULL, updated_at = $4`;

/** True for a row whose options ask for an artifact (requestedArtifacts in SQL: `options[kind] === true`). */
const WANTS_ARTIFACTS_SQL = ARTIFACT_KINDS.map((k) => `options @> '{"${k}": true}'`).join(' OR ');

/**
 * TaskStore on PostgreSQL. Claims lock their candidate row with `FOR UPDATE SKIP LOCKED`, so
 * concurrent claimers each take a different task without waiting for each other. Worker
 * transitions are one conditional UPDATE (holder only) plus their event, in one transaction, and
 * the frequent ones (enqueue, claim, progress, checkpoint, complete) are one statement. No
 * transition waits for another's commit: events are numbered after commit (postgres.events.ts). User
 * transitions lock the visible row first (`FOR UPDATE`) because their outcome depends on its state.
 * Timestamps come from the injected clock, not the database's, so both adapters behave alike.
 */
export class PostgresTaskStore implements TaskStore {
  private readonly db: PgDb;
  private readonly t: PgTables;
  private readonly opts: ResolvedStoreOptions;
  /** The newest transcript of recently edited tasks (store/transcript-cache.ts). */
  private readonly transcriptCache = new TranscriptCache();

  constructor(connectionString: string, options: PostgresStoreOptions = {}) {
    this.opts = resolveStoreOptions(options);
    this.db = new PgDb(connectionString, options.schema ?? 'earshot', {
      ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
      ...(options.log === undefined ? {} : { log: options.log }),
    });
    this.t = this.db.t;
  }

  /** Idempotent, and safe when several processes call it at once (advisory lock). */
  async migrate(): Promise<void> {
    await this.db.migrate(this.opts.now());
  }

  async close(): Promise<void> {
    await this.db.close();
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
   * tasks do not count. A non-finite `maxQueued` (Infinity) disables it. Bounded enqueues serialise
   * on an advisory lock taken before the count's snapshot (queued_count_locked, migration 7), so
   * concurrent ones cannot overshoot the bound; the count is the sum of a few counter rows that
   * triggers keep (migration 14), not a scan of the queue. The bound, the insert and the event are
   * one statement.
   */
  async enqueue(task: NewTask, maxQueued: number): Promise<Task> {
    const now = this.opts.now();
    const bounded = Number.isFinite(maxQueued);
    const row = await this.db.get(
      `WITH ins AS (
         INSERT INTO ${this.t.tasks} (id, user_id, status, stage, priority, source_name, media_path, media_bytes,
           options, callback_url, attempts, max_attempts, run_at, duration_seconds, done_seconds, created_at, updated_at, title)
         SELECT $1::text, $2::text, 'queued', 'waiting', $3::integer, $4::text, $5::text, $6::bigint, $7::jsonb,
           $8::text, 0, $9::integer, $10::bigint, $11::double precision, 0, $10::bigint, $10::bigint, $12::text
         WHERE ${bounded ? `${this.t.schema}.queued_count_locked(${this.db.enqueueLockKeySql}) < $13` : 'TRUE'}
         RETURNING *),
       ${events.eventCte(this.db, 'ev', 'ins', 'created', EVENT_DATA_SQL.created, '$10::bigint')}
       SELECT * FROM ins`,
      bounded
        ? [...insertParams(task, now, task.durationSeconds), maxQueued]
        : insertParams(task, now, task.durationSeconds),
    );
    if (!row) throw new QueueFullError();
    return taskFromRow(row);
  }

  /** See TaskStore.addFinished; one transaction, never bound by maxQueued (it never queues). */
  async addFinished(task: NewTask, transcript: Transcript): Promise<Task> {
    return this.db.tx(async (q) => {
      const now = this.opts.now();
      const row = await q.get(
        `INSERT INTO ${this.t.tasks} (id, user_id, status, stage, priority, source_name, media_path, media_bytes,
           options, callback_url, attempts, max_attempts, run_at, duration_seconds, done_seconds, created_at,
           started_at, finished_at, updated_at, title)
         VALUES ($1, $2, 'succeeded', 'done', $3, $4, $5, $6, $7, $8, 0, $9, $10, $11, $11, $10, $10, $10, $10, $12)
         RETURNING *`,
        insertParams(task, now, transcript.duration),
      );
      await chunks.saveTranscript(this.db, q, task.id, transcript);
      // Read again: storing the transcript set the row's word count (a trigger, migration 10).
      const finished = taskFromRow(
        (await q.get(`SELECT * FROM ${this.t.tasks} WHERE id = $1`, [task.id])) ?? (row as Row),
      );
      const queued = await artifacts.queueRequested(this.db, q, finished, now);
      // The events last, as appendEvent requires (it takes the event lock held to commit).
      await this.event(q, finished, 'created', createdData(finished), now);
      await this.event(q, finished, 'done', doneData(finished), now);
      for (const a of queued) await artifacts.logEvent(this.db, q, a, now, finished.userId);
      return finished;
    });
  }

  async get(id: string, scope: Scope): Promise<Task | null> {
    return reads.findVisible(this.db, this.db, id, scope, false);
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

  /**
   * Also clears the previous attempt's error and speed, sets stage 'decoding' and appends a progress
   * event. One statement; the task is taken by claim_next() (migration 12, see postgres.claim-next.ts).
   */
  async claim(workerId: string, leaseMs: number): Promise<Task | null> {
    const row = await claimNext.claim(this.db, workerId, leaseMs, this.opts.now());
    return row ? taskFromRow(row) : null;
  }

  /** Succeeds for the holder even after the lease time passed, as long as no sweep reclaimed it yet. */
  async heartbeat(id: string, workerId: string, leaseMs: number): Promise<boolean> {
    const n = await this.db.run(`UPDATE ${this.t.tasks} SET lease_expires_at = $3 WHERE ${HELD}`, [
      id,
      workerId,
      this.opts.now() + leaseMs,
    ]);
    return n === 1;
  }

  /** `durationSeconds` and `speed` left undefined keep their stored values. One statement. */
  async reportProgress(id: string, workerId: string, progress: ProgressUpdate): Promise<boolean> {
    const row = await this.db.get(
      `WITH updated AS (
         UPDATE ${this.t.tasks} SET stage = $3, done_seconds = $4,
           duration_seconds = coalesce($5::double precision, duration_seconds),
           speed = CASE WHEN $6::boolean THEN $7::double precision ELSE speed END, updated_at = $8
         WHERE ${HELD} RETURNING *),
       ${events.eventCte(this.db, 'ev', 'updated', 'progress', EVENT_DATA_SQL.progress, '$8::bigint')}
       SELECT id FROM updated`,
      [
        id,
        workerId,
        progress.stage,
        progress.doneSeconds,
        progress.durationSeconds ?? null,
        progress.speed !== undefined,
        progress.speed ?? null,
        this.opts.now(),
      ],
    );
    return row !== undefined;
  }

  /**
   * Inserts the chunks not yet stored (existing rows and their checkpoints are kept: plans are
   * deterministic). With `complete`, marks the plan final and drops stored chunks past its last index.
   */
  async savePlan(id: string, workerId: string, plan: ChunkPlan[], complete: boolean): Promise<boolean> {
    return this.db.tx(async (q) => {
      const held = await q.run(
        `UPDATE ${this.t.tasks} SET plan_complete = plan_complete OR $3, updated_at = $4 WHERE ${HELD}`,
        [id, workerId, complete, this.opts.now()],
      );
      if (held !== 1) return false;
      await chunks.insertPlan(this.db, q, id, plan, complete);
      return true;
    });
  }

  /** Chunks ordered by index; `{ complete: false, chunks: [] }` for an unknown task. Not scoped. */
  async getPlan(id: string): Promise<StoredPlan> {
    return chunks.readPlan(this.db, id);
  }

  /**
   * Inserts the chunk's plan row when absent; a second checkpoint of one chunk replaces the first.
   * One statement: the UPDATE both checks the lease and locks the row, so a concurrent cancel or
   * delete (which drop the chunks) waits for this checkpoint or makes it fail.
   */
  async checkpointChunk(id: string, workerId: string, checkpoint: ChunkCheckpoint): Promise<boolean> {
    const row = await this.db.get(
      `WITH held AS (UPDATE ${this.t.tasks} SET updated_at = $3 WHERE ${HELD} RETURNING *),
       ${chunks.checkpointCte(this.db, 'chunk', 'held', '$4')},
       ${events.eventCte(this.db, 'ev', 'held', 'segment', () => '$9::jsonb', '$3::bigint')}
       SELECT id FROM held`,
      [id, workerId, this.opts.now(), ...chunks.checkpointParams(checkpoint), JSON.stringify(segmentData(checkpoint))],
    );
    return row !== undefined;
  }

  /**
   * done_seconds becomes the duration (the probed one, else the transcript's, which also fills a
   * missing duration). Checkpoints are kept. A task whose options ask for no artifact (the usual
   * case) completes in one statement; otherwise, and when the lease is not held, in a transaction
   * that also queues its artifacts.
   */
  async complete(id: string, workerId: string, transcript: Transcript): Promise<boolean> {
    const now = this.opts.now();
    const fast = await this.db.get(
      `WITH done AS (UPDATE ${this.t.tasks} SET ${COMPLETE_SET} WHERE ${HELD} AND NOT (${WANTS_ARTIFACTS_SQL}) RETURNING *),
       ${chunks.transcriptCte(this.db, 'tr', 'done', '$5')},
       ${events.eventCte(this.db, 'ev', 'done', 'done', EVENT_DATA_SQL.done, '$4::bigint')}
       SELECT id FROM done`,
      [id, workerId, transcript.duration, now, JSON.stringify(transcript)],
    );
    if (fast) return true;
    return this.db.tx(async (q) => {
      const row = await q.get(`UPDATE ${this.t.tasks} SET ${COMPLETE_SET} WHERE ${HELD} RETURNING *`, [
        id,
        workerId,
        transcript.duration,
        now,
      ]);
      if (!row) return false;
      await chunks.saveTranscript(this.db, q, id, transcript);
      const task = taskFromRow(row);
      const queued = await artifacts.queueRequested(this.db, q, task, now);
      await this.event(q, task, 'done', doneData(task), now);
      for (const a of queued) await artifacts.logEvent(this.db, q, a, now, task.userId);
      return true;
    });
  }

  /**
   * A retry goes back to `queued` with stage 'waiting' and runAt = now + backoffMs(attempts) and
   * appends 'retrying'; a final failure appends 'error'. Checkpoints are kept either way, so a retry
   * (automatic or by the user) resumes where the failed attempt stopped.
   */
  async fail(id: string, workerId: string, failure: FailureInfo): Promise<Task | null> {
    return this.db.tx(async (q) => {
      const row = await q.get(`SELECT * FROM ${this.t.tasks} WHERE ${HELD} FOR UPDATE`, [id, workerId]);
      return row ? this.applyFailure(q, taskFromRow(row), failure, this.opts.now()) : null;
    });
  }

  /**
   * Back to `queued` (stage 'waiting', runAt unchanged so it is due at once) and the attempt is not
   * counted. Appends a progress event.
   */
  async release(id: string, workerId: string): Promise<boolean> {
    return this.db.tx(async (q) => {
      const now = this.opts.now();
      const row = await q.get(
        `UPDATE ${this.t.tasks} SET status = 'queued', stage = 'waiting', attempts = greatest(attempts - 1, 0),
           lease_owner = NULL, lease_expires_at = NULL, updated_at = $3
         WHERE ${HELD} RETURNING *`,
        [id, workerId, now],
      );
      if (!row) return false;
      const task = taskFromRow(row);
      await this.event(q, task, 'progress', progressData(task), now);
      return true;
    });
  }

  /**
   * Each expired task fails as if its worker reported WORKER_LOST (retryable), at time `now`. Rows
   * locked by a transition in flight are skipped; the next sweep sees them if still expired.
   */
  async reclaimExpired(now: number): Promise<number> {
    return this.db.tx(async (q) => {
      const rows = await q.all(
        `SELECT * FROM ${this.t.tasks} WHERE status = 'processing' AND lease_expires_at < $1
         ORDER BY id FOR UPDATE SKIP LOCKED`,
        [now],
      );
      for (const row of rows) await this.applyFailure(q, taskFromRow(row), WORKER_LOST, now);
      return rows.length;
    });
  }

  // --- user transitions ---

  /** Also drops the plan; an already finished task is returned unchanged (idempotent). */
  async cancel(id: string, scope: Scope): Promise<Task | null> {
    return this.db.tx(async (q) => {
      const task = await reads.findVisible(this.db, q, id, scope, true);
      if (!task || isTerminal(task.status)) return task;
      const now = this.opts.now();
      const row = await q.get(
        `UPDATE ${this.t.tasks} SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL,
           plan_complete = FALSE, finished_at = $2, updated_at = $2
         WHERE id = $1 RETURNING *`,
        [id, now],
      );
      await chunks.deletePlan(this.db, q, id);
      const cancelled = taskFromRow(row as Row);
      await this.event(q, cancelled, 'cancelled', statusData(cancelled), now);
      return cancelled;
    });
  }

  /**
   * Due at once, stage 'waiting', error cleared; a failed task keeps its checkpoints (a cancelled one
   * has none, so its done_seconds restarts at 0). Appends 'retrying'. Not bound by maxQueued.
   */
  async retry(id: string, scope: Scope): Promise<Task | null> {
    return this.db.tx(async (q) => {
      const task = await reads.findVisible(this.db, q, id, scope, true);
      if (!task) return null;
      assertRetryable(task);
      const now = this.opts.now();
      const row = await q.get(
        `UPDATE ${this.t.tasks} SET status = 'queued', stage = 'waiting', attempts = 0, run_at = $2,
           done_seconds = CASE WHEN status = 'cancelled' THEN 0 ELSE done_seconds END, speed = NULL,
           error_code = NULL, error_message = NULL, started_at = NULL, finished_at = NULL, updated_at = $2
         WHERE id = $1 RETURNING *`,
        [id, now],
      );
      const queued = taskFromRow(row as Row);
      await this.event(q, queued, 'retrying', failureData(queued), now);
      return queued;
    });
  }

  /** Deletes in any state (a processing task's worker then loses its lease); appends 'deleted'. */
  async remove(id: string, scope: Scope): Promise<Task | null> {
    return this.db.tx(async (q) => {
      const task = await reads.findVisible(this.db, q, id, scope, true);
      if (!task) return null;
      await q.run(`DELETE FROM ${this.t.tasks} WHERE id = $1`, [id]);
      this.transcriptCache.delete(id);
      await this.event(q, task, 'deleted', statusData(task), this.opts.now());
      return task;
    });
  }

  async getTranscript(id: string): Promise<Transcript | null> {
    return chunks.readTranscript(this.db, id);
  }

  // --- post-processing artifacts ---

  async requestArtifact(taskId: string, kind: ArtifactKind, scope: Scope): Promise<Artifact | null> {
    return this.db.tx((q) => artifacts.request(this.db, q, taskId, kind, scope, this.opts.now()));
  }

  async getArtifact(taskId: string, kind: ArtifactKind): Promise<Artifact | null> {
    return artifacts.find(this.db, this.db, taskId, kind);
  }

  /** Claims serialise on an advisory lock, so the running count and the take cannot interleave. */
  async claimArtifact(workerId: string, leaseMs: number, maxRunning: number): Promise<Artifact | null> {
    return this.db.tx((q) => artifacts.claim(this.db, q, workerId, leaseMs, maxRunning, this.opts.now()));
  }

  async heartbeatArtifact(taskId: string, kind: ArtifactKind, workerId: string, leaseMs: number): Promise<boolean> {
    return artifacts.heartbeat(this.db, taskId, kind, workerId, this.opts.now() + leaseMs);
  }

  async reportArtifactProgress(
    taskId: string,
    kind: ArtifactKind,
    workerId: string,
    progress: ArtifactProgress,
  ): Promise<boolean> {
    return this.db.tx((q) => artifacts.progress(this.db, q, taskId, kind, workerId, progress, this.opts.now()));
  }

  async completeArtifact<K extends ArtifactKind>(
    taskId: string,
    kind: K,
    workerId: string,
    result: ArtifactResult<K>,
    revision: number,
  ): Promise<boolean> {
    return this.db.tx((q) => artifacts.complete(this.db, q, taskId, kind, workerId, result, revision, this.opts.now()));
  }

  async failArtifact(
    taskId: string,
    kind: ArtifactKind,
    workerId: string,
    failure: FailureInfo,
  ): Promise<Artifact | null> {
    return this.db.tx((q) =>
      artifacts.fail(this.db, q, taskId, kind, workerId, failure, this.opts.now(), this.opts.retryDelaysMs),
    );
  }

  async releaseArtifact(taskId: string, kind: ArtifactKind, workerId: string): Promise<boolean> {
    return this.db.tx((q) => artifacts.release(this.db, q, taskId, kind, workerId, this.opts.now()));
  }

  async reclaimExpiredArtifacts(now: number): Promise<number> {
    return this.db.tx((q) => artifacts.reclaimExpired(this.db, q, now, this.opts.retryDelaysMs));
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

  /** The shared end of fail() and reclaimExpired(); `task` is a processing row locked in this transaction. */
  private async applyFailure(q: PgQuery, task: Task, failure: FailureInfo, now: number): Promise<Task> {
    const outcome = failureOutcome(task, failure, now, this.opts.retryDelaysMs);
    const row = outcome.retry
      ? await q.get(
          `UPDATE ${this.t.tasks} SET status = 'queued', stage = 'waiting', run_at = $2, error_code = $3,
             error_message = $4, lease_owner = NULL, lease_expires_at = NULL, updated_at = $5
           WHERE id = $1 RETURNING *`,
          [task.id, outcome.runAt, failure.code, failure.message, now],
        )
      : await q.get(
          `UPDATE ${this.t.tasks} SET status = 'failed', error_code = $2, error_message = $3,
             lease_owner = NULL, lease_expires_at = NULL, finished_at = $4, updated_at = $4
           WHERE id = $1 RETURNING *`,
          [task.id, failure.code, failure.message, now],
        );
    const updated = taskFromRow(row as Row);
    await this.event(q, updated, outcome.retry ? 'retrying' : 'error', failureData(updated), now);
    return updated;
  }

  /** Appends an event (numbered after commit: see postgres.events.ts). */
  private event<T extends TaskEventType>(
    q: PgQuery,
    task: Task,
    type: T,
    data: TaskEventData<T>,
    now: number,
  ): Promise<void> {
    return events.appendEvent(this.db, q, task, type, data, now);
  }

  // --- webhook outbox ---

  async webhookSecret(userId: string): Promise<string | null> {
    return webhooks.secret(this.db, userId);
  }

  async rotateWebhookSecret(userId: string): Promise<string | null> {
    return webhooks.rotate(this.db, userId);
  }

  /** Rows are taken with SKIP LOCKED: servers claiming at once never wait for, or take, each other's. */
  async claimWebhookDeliveries(
    owner: string,
    leaseMs: number,
    limit: number,
    policy: WebhookRetryPolicy,
  ): Promise<WebhookDelivery[]> {
    return this.db.tx((q) => webhooks.claim(this.db, q, owner, leaseMs, limit, policy, this.opts.now()));
  }

  async completeWebhookDelivery(id: string, owner: string, httpStatus: number): Promise<WebhookDelivery | null> {
    return webhooks.complete(this.db, id, owner, httpStatus, this.opts.now());
  }

  async failWebhookDelivery(
    id: string,
    owner: string,
    failure: WebhookFailure,
    policy: WebhookRetryPolicy,
  ): Promise<WebhookDelivery | null> {
    return this.db.tx((q) => webhooks.fail(this.db, q, id, owner, failure, policy, this.opts.now()));
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
   * One statement when the task asks for no artifact (the usual case); otherwise, and when the lease
   * is not held, complete() then claim().
   */
  async completeAndClaim(
    id: string,
    workerId: string,
    transcript: Transcript,
    leaseMs: number,
  ): Promise<CompleteAndClaim> {
    const completion = { set: COMPLETE_SET, held: HELD, wantsArtifacts: WANTS_ARTIFACTS_SQL };
    const fast = await claimNext.completeAndClaim(
      this.db,
      id,
      workerId,
      transcript,
      leaseMs,
      this.opts.now(),
      completion,
    );
    if (fast) return fast;
    if (!(await this.complete(id, workerId, transcript))) return { completed: false, next: null };
    return { completed: true, next: await this.claim(workerId, leaseMs) };
  }
}

/** The parameters $1..$12 both task INSERTs share: the new task's columns, the time, its duration, its title. */
function insertParams(task: NewTask, now: number, durationSeconds: number | null): unknown[] {
  return [
    task.id,
    task.userId,
    task.priority,
    task.sourceName,
    task.mediaPath,
    task.mediaBytes,
    JSON.stringify(task.options),
    task.callbackUrl,
    task.maxAttempts,
    now,
    durationSeconds,
    task.title ?? null,
  ];
}
