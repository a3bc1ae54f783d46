import type { Transcript } from '../../core/transcript.js';
import type {
  RevisedTranscript,
  TranscriptEditRequest,
  TranscriptEditResult,
  TranscriptHistory,
} from '../../core/transcript-revision.js';
import {
  changedTranscript,
  implicitMachineRevision,
  machineRevision,
  nextRevision,
  type RevisionInsert,
  rebuildRevision,
  revisionFromRow,
} from '../revision.rows.js';
import type { Scope } from '../task.store.js';
import type { TranscriptCache } from '../transcript-cache.js';
import { type SqliteDb, scopeSql } from './sqlite.db.js';

/** Transcript history on SQLite (see store/revision.rows.ts for the layout). */

/**
 * One BEGIN IMMEDIATE: the write lock is taken before the newest revision is read, so the compare
 * and the set cannot interleave with another connection's edit; of two edits expecting the same
 * revision, the second sees the first's number and gets a conflict. The operations are applied in
 * the transaction too (a few ms for an hour of speech). The transcripts UPDATE fires the search
 * triggers, so search follows in the same commit. The stored JSON is parsed only when `cache` does
 * not hold exactly that text (see store/transcript-cache.ts).
 */
export function editTranscript(
  db: SqliteDb,
  cache: TranscriptCache,
  taskId: string,
  scope: Scope,
  request: TranscriptEditRequest,
  now: number,
): TranscriptEditResult {
  const result = db.write((): TranscriptEditResult => {
    const s = scopeSql(scope);
    const task = db.get(`SELECT status, finished_at FROM tasks WHERE id = @id${s.sql}`, { ...s.params, id: taskId });
    if (!task) return { ok: false, reason: 'missing' };
    const stored = db.get('SELECT json, revision FROM transcripts WHERE task_id = ?', [taskId]);
    if (task.status !== 'succeeded' || !stored) return { ok: false, reason: 'not_ready' };
    const current = Number(stored.revision);
    if (request.expected !== null && request.expected !== current) return { ok: false, reason: 'conflict', current };
    const json = String(stored.json);
    const base = cache.get(taskId, json) ?? (JSON.parse(json) as Transcript);
    let target: Transcript | null = null;
    if (request.change.kind === 'revert') {
      target = readRevision(db, taskId, request.change.revertTo, current, () => base);
      if (target === null) return { ok: false, reason: 'no_revision' };
    }
    const next = changedTranscript(base, request, target);
    if (current === 0) insertRow(db, taskId, machineRevision(json, Number(task.finished_at ?? now)));
    const row = nextRevision(current, request, next.json, now);
    const text = next.json();
    insertRow(db, taskId, row);
    db.run('UPDATE transcripts SET json = ?, revision = ? WHERE task_id = ?', [text, row.revision, taskId]);
    return { ok: true, revision: row.revision, transcript: next.transcript, json: next.json };
  });
  if (result.ok) cache.set(taskId, result.json(), result.transcript, 0); // the version is the JSON
  return result;
}

export function getWithRevision(db: SqliteDb, taskId: string): RevisedTranscript | null {
  const row = db.get('SELECT json, revision FROM transcripts WHERE task_id = ?', [taskId]);
  return row ? { revision: Number(row.revision), transcript: JSON.parse(String(row.json)) as Transcript } : null;
}

export function getRevision(db: SqliteDb, taskId: string, revision: number): Transcript | null {
  return db.read(() => {
    const head = db.get('SELECT revision FROM transcripts WHERE task_id = ?', [taskId]);
    if (!head) return null;
    return readRevision(
      db,
      taskId,
      revision,
      Number(head.revision),
      () => getWithRevision(db, taskId)?.transcript ?? null,
    );
  });
}

/** Newest `limit` rows, oldest first; the snapshots are never read. */
export function listRevisions(db: SqliteDb, taskId: string, limit: number): TranscriptHistory | null {
  return db.read(() => {
    const head = db.get(
      `SELECT tr.revision, t.finished_at FROM transcripts tr JOIN tasks t ON t.id = tr.task_id WHERE tr.task_id = ?`,
      [taskId],
    );
    if (!head) return null;
    const current = Number(head.revision);
    if (current === 0) return { current, revisions: [implicitMachineRevision(Number(head.finished_at ?? 0))] };
    const rows = db.all(
      `SELECT r.revision, r.kind, r.user_id, r.created_at, r.operations, r.reverted_to, u.name AS user_name
       FROM transcript_revisions r LEFT JOIN users u ON u.id = r.user_id
       WHERE r.task_id = ? ORDER BY r.revision DESC LIMIT ?`,
      [taskId, limit],
    );
    return { current, revisions: rows.reverse().map(revisionFromRow) };
  });
}

/**
 * Revision `revision` of a transcript whose newest is `current` (read by `newest`): that one as
 * stored, an older one rebuilt from the nearest snapshot at or below it. Null past the newest.
 */
function readRevision(
  db: SqliteDb,
  taskId: string,
  revision: number,
  current: number,
  newest: () => Transcript | null,
): Transcript | null {
  if (!Number.isInteger(revision) || revision < 0 || revision > current) return null;
  if (revision === current) return newest();
  const rows = db.all(
    `SELECT revision, operations, snapshot FROM transcript_revisions
     WHERE task_id = @taskId AND revision <= @revision AND revision >= (
       SELECT max(revision) FROM transcript_revisions
       WHERE task_id = @taskId AND revision <= @revision AND snapshot IS NOT NULL)
     ORDER BY revision`,
    { taskId, revision },
  );
  return rebuildRevision(rows);
}

function insertRow(db: SqliteDb, taskId: string, r: RevisionInsert): void {
  db.run(
    `INSERT INTO transcript_revisions (task_id, revision, kind, user_id, created_at, operations, snapshot, reverted_to)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [taskId, r.revision, r.kind, r.userId, r.createdAt, r.operations, r.snapshot, r.revertedTo],
  );
}
