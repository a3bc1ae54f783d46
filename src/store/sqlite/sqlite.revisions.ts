import type { Transcript } from '../../core/transcript.js';
import type {
  RevisedTranscript,
  TranscriptEditRequest,
  TranscriptEditResult,
  TranscriptHistory,
} from '../../core/transcript-revision.js';
import {
  type ChangedTranscript,
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
import { sqliteWordCount } from '../word-count.js';
import { reindex } from './migrations/0009-search-incremental.js';
import { type SqliteDb, scopeSql } from './sqlite.db.js';

/** Transcript history on SQLite (see store/revision.rows.ts for the layout). */

/**
 * One BEGIN IMMEDIATE: the write lock is taken before the newest revision is read, so the compare
 * and the set cannot interleave with another connection's edit; of two edits expecting the same
 * revision, the second sees the first's number and gets a conflict. The operations are applied in
 * the transaction too (a few ms for an hour of speech). Search and the word count follow in the same
 * commit: the edit re-indexes the segments it changed itself (reindexEdit) and counts the words (the
 * update triggers leave writes that change the revision alone, migration 10). The stored JSON is
 * parsed only when `cache` does not hold exactly that text (see store/transcript-cache.ts).
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
    reindexEdit(db, taskId, next, text);
    db.run('UPDATE tasks SET word_count = ? WHERE id = ?', [sqliteWordCount(next.transcript.segments), taskId]);
    return { ok: true, revision: row.revision, transcript: next.transcript, json: next.json };
  });
  if (result.ok) cache.set(taskId, result.json(), result.transcript, 0); // the version is the JSON
  return result;
}

/** Migration 9's re-index of a whole transcript (an upsert, then a delete) as statements of their own, for a revert. */
const REINDEX_ALL = reindex
  .replaceAll('NEW.task_id', '@task')
  .replaceAll('NEW.json', '@json')
  .split(';')
  .map((sql) => sql.trim())
  .filter((sql) => sql !== '');

/**
 * The search rows of an edited transcript, from what the edit changed. Rows are keyed by segment
 * index: a splice deletes the rows of the segments it replaced, moves the later rows' indexes by the
 * difference (through negative numbers, so no two rows ever share one on the way) and inserts the new
 * segments' rows. Only a row whose text changes touches the FTS index (its triggers), so moving
 * indexes costs a b-tree update per later row, not a re-index. A revert re-indexes everything, as
 * the trigger would.
 */
function reindexEdit(db: SqliteDb, taskId: string, next: ChangedTranscript, json: string): void {
  const segments = next.transcript.segments;
  const write = (i: number) => {
    const s = segments[i];
    return { task: taskId, idx: i, start: s?.start ?? 0, end: s?.end ?? 0, text: s?.text ?? '' };
  };
  if (next.changed !== null) {
    for (const i of next.changed) {
      db.run(
        `UPDATE transcript_segments SET start_s = @start, end_s = @end, text = @text
         WHERE task_id = @task AND idx = @idx AND (start_s IS NOT @start OR end_s IS NOT @end OR text IS NOT @text)`,
        write(i),
      );
    }
    return;
  }
  if (next.splice === null) {
    for (const sql of REINDEX_ALL) db.run(sql, { task: taskId, json });
    return;
  }
  const { at, removed, inserted } = next.splice;
  db.run('DELETE FROM transcript_segments WHERE task_id = ? AND idx >= ? AND idx < ?', [taskId, at, at + removed]);
  const shift = inserted - removed;
  db.run('UPDATE transcript_segments SET idx = -1 - (idx + ?) WHERE task_id = ? AND idx >= ?', [
    shift,
    taskId,
    at + removed,
  ]);
  db.run('UPDATE transcript_segments SET idx = -1 - idx WHERE task_id = ? AND idx < 0', [taskId]);
  for (let i = at; i < at + inserted; i++) {
    db.run(
      `INSERT INTO transcript_segments (task_id, user_id, idx, start_s, end_s, text)
       VALUES (@task, (SELECT user_id FROM tasks WHERE id = @task), @idx, @start, @end, @text)`,
      write(i),
    );
  }
}

export function getWithRevision(db: SqliteDb, taskId: string): RevisedTranscript | null {
  const row = db.get('SELECT json, revision FROM transcripts WHERE task_id = ?', [taskId]);
  return row ? { revision: Number(row.revision), transcript: JSON.parse(String(row.json)) as Transcript } : null;
}

/** The newest revision's number, or null when the task has no transcript. */
export function headRevision(db: SqliteDb, taskId: string): number | null {
  const head = db.get('SELECT revision FROM transcripts WHERE task_id = ?', [taskId]);
  return head ? Number(head.revision) : null;
}

export function getRevision(db: SqliteDb, taskId: string, revision: number): Transcript | null {
  return db.read(() => {
    const head = headRevision(db, taskId);
    if (head === null) return null;
    return readRevision(db, taskId, revision, head, () => getWithRevision(db, taskId)?.transcript ?? null);
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
