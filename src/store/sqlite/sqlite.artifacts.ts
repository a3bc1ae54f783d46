import {
  type Artifact,
  type ArtifactKind,
  type ArtifactProgress,
  type ArtifactResult,
  requestedArtifacts,
} from '../../core/artifact.js';
import type { Task } from '../../core/task.js';
import { artifactFromRow, artifactResultFromRow, type Row } from '../task.rows.js';
import type { FailureInfo, Scope } from '../task.store.js';
import {
  artifactData,
  artifactRequeues,
  assertArtifactRequestable,
  failureOutcome,
  WORKER_LOST,
} from '../task.transitions.js';
import type { SqliteDb } from './sqlite.db.js';
import * as events from './sqlite.events.js';
import * as reads from './sqlite.reads.js';
import * as revisions from './sqlite.revisions.js';

/**
 * Artifact transitions on SQLite. Every function runs inside the caller's write transaction
 * (BEGIN IMMEDIATE), which makes read-then-write steps (the claim's running count, a request's
 * state check) atomic across processes. Every change of state appends an `artifact` event to its
 * task's log in the same transaction.
 */

/** Holder-only conditions shared by every runner transition. */
const HELD = "task_id = @taskId AND kind = @kind AND status = 'running' AND lease_owner = @workerId";

/**
 * Queues the artifacts `task`'s options ask for (kept when present); inside complete()/addFinished(),
 * which append their events (logEvent) after the task's own.
 */
export function queueRequested(db: SqliteDb, task: Task, now: number): Artifact[] {
  return requestedArtifacts(task.options).flatMap((kind) => insertQueued(db, task, kind, now) ?? []);
}

/** The new row, or null when one was there already. */
function insertQueued(db: SqliteDb, task: Task, kind: ArtifactKind, now: number): Artifact | null {
  const row = db.get(
    `INSERT INTO artifacts (task_id, kind, status, stage, max_attempts, run_at, created_at, updated_at)
     VALUES (@taskId, @kind, 'queued', 'waiting', @maxAttempts, @now, @now, @now)
     ON CONFLICT (task_id, kind) DO NOTHING RETURNING *`,
    { taskId: task.id, kind, maxAttempts: task.maxAttempts, now },
  );
  return row ? artifactFromRow(row) : null;
}

/** Appends the artifact's `artifact` event to its task's log. */
export function logEvent(db: SqliteDb, artifact: Artifact, now: number, userId?: string): void {
  const owner = userId ?? db.get('SELECT user_id FROM tasks WHERE id = ?', [artifact.taskId])?.user_id;
  if (typeof owner !== 'string') return;
  events.appendEvent(db, { id: artifact.taskId, userId: owner }, 'artifact', artifactData(artifact), now);
}

/** `row` (a RETURNING row) as an artifact, its event logged; null when there was none. */
function changed(db: SqliteDb, row: Row | undefined, now: number): Artifact | null {
  if (!row) return null;
  const artifact = artifactFromRow(row);
  logEvent(db, artifact, now);
  return artifact;
}

export function request(db: SqliteDb, taskId: string, kind: ArtifactKind, scope: Scope, now: number): Artifact | null {
  const task = reads.findVisible(db, taskId, scope);
  if (!task) return null;
  assertArtifactRequestable(task);
  const existing = find(db, taskId, kind);
  if (existing === null) {
    const created = insertQueued(db, task, kind, now);
    if (created) logEvent(db, created, now, task.userId);
    return created;
  }
  if (!artifactRequeues(existing, revisions.headRevision(db, taskId) ?? 0)) return existing;
  return changed(
    db,
    db.get(
      `UPDATE artifacts SET status = 'queued', stage = 'waiting', attempts = 0, run_at = @now, done_windows = 0,
         total_windows = 0, error_code = NULL, error_message = NULL, started_at = NULL, finished_at = NULL,
         updated_at = @now
       WHERE task_id = @taskId AND kind = @kind RETURNING *`,
      { taskId, kind, now },
    ),
    now,
  );
}

export function find(db: SqliteDb, taskId: string, kind: ArtifactKind): Artifact | null {
  const row = db.get('SELECT * FROM artifacts WHERE task_id = ? AND kind = ?', [taskId, kind]);
  return row ? artifactFromRow(row) : null;
}

export function claim(
  db: SqliteDb,
  workerId: string,
  leaseMs: number,
  maxRunning: number,
  now: number,
): Artifact | null {
  const running = Number(
    db.get("SELECT count(*) AS n FROM artifacts WHERE status = 'running' AND lease_expires_at >= ?", [now])?.n,
  );
  if (running >= maxRunning) return null;
  const row = db.get(
    `UPDATE artifacts SET status = 'running', stage = 'waiting', attempts = attempts + 1, done_windows = 0,
       total_windows = 0, lease_owner = @workerId, lease_expires_at = @expires, started_at = @now,
       finished_at = NULL, error_code = NULL, error_message = NULL, updated_at = @now
     WHERE (task_id, kind) = (SELECT task_id, kind FROM artifacts WHERE status = 'queued' AND run_at <= @now
                              ORDER BY run_at, created_at, task_id, kind LIMIT 1)
     RETURNING *`,
    { workerId, now, expires: now + leaseMs },
  );
  return changed(db, row, now);
}

export function heartbeat(
  db: SqliteDb,
  taskId: string,
  kind: ArtifactKind,
  workerId: string,
  expires: number,
): boolean {
  return (
    db.run(`UPDATE artifacts SET lease_expires_at = @expires WHERE ${HELD}`, { taskId, kind, workerId, expires })
      .changes === 1
  );
}

export function progress(
  db: SqliteDb,
  taskId: string,
  kind: ArtifactKind,
  workerId: string,
  p: ArtifactProgress,
  now: number,
): boolean {
  const row = db.get(
    `UPDATE artifacts SET stage = @stage, done_windows = @done, total_windows = @total, updated_at = @now
     WHERE ${HELD} RETURNING *`,
    { taskId, kind, workerId, stage: p.stage, done: p.doneWindows, total: p.totalWindows, now },
  );
  return changed(db, row, now) !== null;
}

export function complete(
  db: SqliteDb,
  taskId: string,
  kind: ArtifactKind,
  workerId: string,
  result: ArtifactResult,
  revision: number,
  now: number,
): boolean {
  const done = db.get(
    `UPDATE artifacts SET status = 'succeeded', stage = 'done', done_windows = total_windows, lease_owner = NULL,
       lease_expires_at = NULL, finished_at = @now, updated_at = @now, revision = @revision
     WHERE ${HELD} RETURNING *`,
    { taskId, kind, workerId, now, revision },
  );
  if (!done) return false;
  db.run(
    `INSERT INTO artifact_results (task_id, kind, json) VALUES (?, ?, ?)
     ON CONFLICT (task_id, kind) DO UPDATE SET json = excluded.json`,
    [taskId, kind, JSON.stringify(result)],
  );
  changed(db, done, now);
  return true;
}

export function fail(
  db: SqliteDb,
  taskId: string,
  kind: ArtifactKind,
  workerId: string,
  failure: FailureInfo,
  now: number,
  delaysMs: readonly number[],
): Artifact | null {
  const row = db.get(`SELECT * FROM artifacts WHERE ${HELD}`, { taskId, kind, workerId });
  return row ? applyFailure(db, artifactFromRow(row), failure, now, delaysMs) : null;
}

export function release(db: SqliteDb, taskId: string, kind: ArtifactKind, workerId: string, now: number): boolean {
  const row = db.get(
    `UPDATE artifacts SET status = 'queued', stage = 'waiting', attempts = max(attempts - 1, 0),
       lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
     WHERE ${HELD} RETURNING *`,
    { taskId, kind, workerId, now },
  );
  return changed(db, row, now) !== null;
}

export function reclaimExpired(db: SqliteDb, now: number, delaysMs: readonly number[]): number {
  const rows = db.all("SELECT * FROM artifacts WHERE status = 'running' AND lease_expires_at < ?", [now]);
  for (const row of rows) applyFailure(db, artifactFromRow(row), WORKER_LOST, now, delaysMs);
  return rows.length;
}

export function readResult<K extends ArtifactKind>(db: SqliteDb, taskId: string, kind: K): ArtifactResult<K> | null {
  const row = db.get('SELECT json FROM artifact_results WHERE task_id = ? AND kind = ?', [taskId, kind]);
  return row ? artifactResultFromRow<ArtifactResult<K>>(row) : null;
}

function applyFailure(
  db: SqliteDb,
  artifact: Artifact,
  failure: FailureInfo,
  now: number,
  delaysMs: readonly number[],
): Artifact {
  const outcome = failureOutcome(artifact, failure, now, delaysMs);
  const key = { taskId: artifact.taskId, kind: artifact.kind, code: failure.code, message: failure.message, now };
  const row = outcome.retry
    ? db.get(
        `UPDATE artifacts SET status = 'queued', stage = 'waiting', run_at = @runAt, error_code = @code,
           error_message = @message, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
         WHERE task_id = @taskId AND kind = @kind RETURNING *`,
        { ...key, runAt: outcome.runAt },
      )
    : db.get(
        `UPDATE artifacts SET status = 'failed', error_code = @code, error_message = @message, lease_owner = NULL,
           lease_expires_at = NULL, finished_at = @now, updated_at = @now
         WHERE task_id = @taskId AND kind = @kind RETURNING *`,
        key,
      );
  return changed(db, row, now) as Artifact;
}
