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
import type { PgDb, PgQuery } from './postgres.db.js';
import * as events from './postgres.events.js';
import * as reads from './postgres.reads.js';
import * as revisions from './postgres.revisions.js';

/**
 * Artifact transitions on PostgreSQL. Each takes the transaction it runs in; runner transitions
 * are one conditional statement (holder only), so they need no row lock beyond the UPDATE's own.
 * Every change of state then appends an `artifact` event to its task's log in the same transaction.
 */

/** Holder-only condition: $1 = task id, $2 = kind, $3 = worker id. */
const HELD = "task_id = $1 AND kind = $2 AND status = 'running' AND lease_owner = $3";

/**
 * Queues the artifacts `task`'s options ask for (kept when present); inside complete()/addFinished(),
 * which append their events (logEvent) after the task's own.
 */
export async function queueRequested(db: PgDb, q: PgQuery, task: Task, now: number): Promise<Artifact[]> {
  const queued: Artifact[] = [];
  for (const kind of requestedArtifacts(task.options)) {
    const artifact = await insertQueued(db, q, task, kind, now);
    if (artifact) queued.push(artifact);
  }
  return queued;
}

/** The new row, or null when one was there already. */
async function insertQueued(
  db: PgDb,
  q: PgQuery,
  task: Task,
  kind: ArtifactKind,
  now: number,
): Promise<Artifact | null> {
  const row = await q.get(
    `INSERT INTO ${db.t.artifacts} (task_id, kind, status, stage, max_attempts, run_at, created_at, updated_at)
     VALUES ($1, $2, 'queued', 'waiting', $3, $4, $4, $4)
     ON CONFLICT (task_id, kind) DO NOTHING RETURNING *`,
    [task.id, kind, task.maxAttempts, now],
  );
  return row ? artifactFromRow(row) : null;
}

/** Appends the artifact's `artifact` event to its task's log, in the caller's transaction. */
export async function logEvent(db: PgDb, q: PgQuery, artifact: Artifact, now: number, userId?: string): Promise<void> {
  const owner = userId ?? (await q.get(`SELECT user_id FROM ${db.t.tasks} WHERE id = $1`, [artifact.taskId]))?.user_id;
  if (typeof owner !== 'string') return;
  await events.appendEvent(db, q, { id: artifact.taskId, userId: owner }, 'artifact', artifactData(artifact), now);
}

/** `row` (a RETURNING row) as an artifact, its event logged; null when there was none. */
async function changed(db: PgDb, q: PgQuery, row: Row | undefined, now: number): Promise<Artifact | null> {
  if (!row) return null;
  const artifact = artifactFromRow(row);
  await logEvent(db, q, artifact, now);
  return artifact;
}

/** Locks the task row first, so a concurrent delete or a second request waits for this one. */
export async function request(
  db: PgDb,
  q: PgQuery,
  taskId: string,
  kind: ArtifactKind,
  scope: Scope,
  now: number,
): Promise<Artifact | null> {
  const task = await reads.findVisible(db, q, taskId, scope, true);
  if (!task) return null;
  assertArtifactRequestable(task);
  const existing = await find(db, q, taskId, kind);
  if (existing === null) {
    const created = await insertQueued(db, q, task, kind, now);
    if (created) await logEvent(db, q, created, now, task.userId);
    return created;
  }
  if (!artifactRequeues(existing, (await revisions.headRevision(db, q, taskId)) ?? 0)) return existing;
  const row = await q.get(
    `UPDATE ${db.t.artifacts} SET status = 'queued', stage = 'waiting', attempts = 0, run_at = $3, done_windows = 0,
       total_windows = 0, error_code = NULL, error_message = NULL, started_at = NULL, finished_at = NULL,
       updated_at = $3
     WHERE task_id = $1 AND kind = $2 RETURNING *`,
    [taskId, kind, now],
  );
  return changed(db, q, row, now);
}

export async function find(db: PgDb, q: PgQuery, taskId: string, kind: ArtifactKind): Promise<Artifact | null> {
  const row = await q.get(`SELECT * FROM ${db.t.artifacts} WHERE task_id = $1 AND kind = $2`, [taskId, kind]);
  return row ? artifactFromRow(row) : null;
}

export async function claim(
  db: PgDb,
  q: PgQuery,
  workerId: string,
  leaseMs: number,
  maxRunning: number,
  now: number,
): Promise<Artifact | null> {
  await db.lockArtifactClaims(q);
  const running = await q.get(
    `SELECT count(*) AS n FROM ${db.t.artifacts} WHERE status = 'running' AND lease_expires_at >= $1`,
    [now],
  );
  if (Number(running?.n) >= maxRunning) return null;
  const row = await q.get(
    `WITH next AS (
       SELECT task_id, kind FROM ${db.t.artifacts} WHERE status = 'queued' AND run_at <= $1
       ORDER BY run_at, created_at, task_id, kind LIMIT 1 FOR UPDATE SKIP LOCKED)
     UPDATE ${db.t.artifacts} a SET status = 'running', stage = 'waiting', attempts = a.attempts + 1,
       done_windows = 0, total_windows = 0, lease_owner = $2, lease_expires_at = $3, started_at = $1,
       finished_at = NULL, error_code = NULL, error_message = NULL, updated_at = $1
     FROM next WHERE a.task_id = next.task_id AND a.kind = next.kind
     RETURNING a.*`,
    [now, workerId, now + leaseMs],
  );
  return changed(db, q, row, now);
}

export async function heartbeat(
  db: PgDb,
  taskId: string,
  kind: ArtifactKind,
  workerId: string,
  expires: number,
): Promise<boolean> {
  return (
    (await db.run(`UPDATE ${db.t.artifacts} SET lease_expires_at = $4 WHERE ${HELD}`, [
      taskId,
      kind,
      workerId,
      expires,
    ])) === 1
  );
}

export async function progress(
  db: PgDb,
  q: PgQuery,
  taskId: string,
  kind: ArtifactKind,
  workerId: string,
  p: ArtifactProgress,
  now: number,
): Promise<boolean> {
  const row = await q.get(
    `UPDATE ${db.t.artifacts} SET stage = $4, done_windows = $5, total_windows = $6, updated_at = $7
     WHERE ${HELD} RETURNING *`,
    [taskId, kind, workerId, p.stage, p.doneWindows, p.totalWindows, now],
  );
  return (await changed(db, q, row, now)) !== null;
}

export async function complete(
  db: PgDb,
  q: PgQuery,
  taskId: string,
  kind: ArtifactKind,
  workerId: string,
  result: ArtifactResult,
  revision: number,
  now: number,
): Promise<boolean> {
  const done = await q.get(
    `UPDATE ${db.t.artifacts} SET status = 'succeeded', stage = 'done', done_windows = total_windows,
       lease_owner = NULL, lease_expires_at = NULL, finished_at = $4, updated_at = $4, revision = $5
     WHERE ${HELD} RETURNING *`,
    [taskId, kind, workerId, now, revision],
  );
  if (!done) return false;
  await q.run(
    `INSERT INTO ${db.t.artifactResults} (task_id, kind, json) VALUES ($1, $2, $3)
     ON CONFLICT (task_id, kind) DO UPDATE SET json = excluded.json`,
    [taskId, kind, JSON.stringify(result)],
  );
  await changed(db, q, done, now);
  return true;
}

export async function fail(
  db: PgDb,
  q: PgQuery,
  taskId: string,
  kind: ArtifactKind,
  workerId: string,
  failure: FailureInfo,
  now: number,
  delaysMs: readonly number[],
): Promise<Artifact | null> {
  const row = await q.get(`SELECT * FROM ${db.t.artifacts} WHERE ${HELD} FOR UPDATE`, [taskId, kind, workerId]);
  return row ? applyFailure(db, q, artifactFromRow(row), failure, now, delaysMs) : null;
}

export async function release(
  db: PgDb,
  q: PgQuery,
  taskId: string,
  kind: ArtifactKind,
  workerId: string,
  now: number,
): Promise<boolean> {
  const row = await q.get(
    `UPDATE ${db.t.artifacts} SET status = 'queued', stage = 'waiting', attempts = greatest(attempts - 1, 0),
       lease_owner = NULL, lease_expires_at = NULL, updated_at = $4
     WHERE ${HELD} RETURNING *`,
    [taskId, kind, workerId, now],
  );
  return (await changed(db, q, row, now)) !== null;
}

/** Rows locked by a transition in flight are skipped; the next sweep sees them if still expired. */
export async function reclaimExpired(db: PgDb, q: PgQuery, now: number, delaysMs: readonly number[]): Promise<number> {
  const rows = await q.all(
    `SELECT * FROM ${db.t.artifacts} WHERE status = 'running' AND lease_expires_at < $1
     ORDER BY task_id, kind FOR UPDATE SKIP LOCKED`,
    [now],
  );
  for (const row of rows) await applyFailure(db, q, artifactFromRow(row), WORKER_LOST, now, delaysMs);
  return rows.length;
}

export async function readResult<K extends ArtifactKind>(
  db: PgDb,
  taskId: string,
  kind: K,
): Promise<ArtifactResult<K> | null> {
  const row = await db.get(`SELECT json FROM ${db.t.artifactResults} WHERE task_id = $1 AND kind = $2`, [taskId, kind]);
  return row ? artifactResultFromRow<ArtifactResult<K>>(row) : null;
}

async function applyFailure(
  db: PgDb,
  q: PgQuery,
  artifact: Artifact,
  failure: FailureInfo,
  now: number,
  delaysMs: readonly number[],
): Promise<Artifact> {
  const outcome = failureOutcome(artifact, failure, now, delaysMs);
  const row = outcome.retry
    ? await q.get(
        `UPDATE ${db.t.artifacts} SET status = 'queued', stage = 'waiting', run_at = $6, error_code = $3,
           error_message = $4, lease_owner = NULL, lease_expires_at = NULL, updated_at = $5
         WHERE task_id = $1 AND kind = $2 RETURNING *`,
        [artifact.taskId, artifact.kind, failure.code, failure.message, now, outcome.runAt],
      )
    : await q.get(
        `UPDATE ${db.t.artifacts} SET status = 'failed', error_code = $3, error_message = $4, lease_owner = NULL,
           lease_expires_at = NULL, finished_at = $5, updated_at = $5
         WHERE task_id = $1 AND kind = $2 RETURNING *`,
        [artifact.taskId, artifact.kind, failure.code, failure.message, now],
      );
  return (await changed(db, q, row, now)) as Artifact;
}
