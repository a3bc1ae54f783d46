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
import type { Row } from '../task.rows.js';
import type { Scope } from '../task.store.js';
import type { TranscriptCache } from '../transcript-cache.js';
import type { PgDb, PgQuery } from './postgres.db.js';

/** Transcript history on PostgreSQL (see store/revision.rows.ts for the layout). */

const revisionsTable = (db: PgDb): string => `${db.t.schema}.transcript_revisions`;

/** Most segments an edit rewrites in place (one jsonb_set each); more, and the whole JSON is sent. */
export const MAX_IN_PLACE_SEGMENTS = 32;

/**
 * One transaction holding the transcript row FOR UPDATE from the read of the newest revision to
 * the commit: a concurrent edit of the same task waits at its own FOR UPDATE and then reads the
 * committed row (READ COMMITTED re-reads a locked row after the wait), so it sees the new number
 * and, expecting the old one, gets a conflict. Edits of different tasks never wait for each other.
 * Search follows in the same commit: the edit splices the search rows of the segments it replaced
 * (reindexEdit; the trigger leaves writes that change the revision alone, migration 13).
 *
 * Only the revision and xmin are read under the lock; the JSON (~1 MB for an hour) is read and
 * parsed only when `cache` does not hold that row version (see store/transcript-cache.ts). With it,
 * an edit that keeps the number of segments (replace_text, set_speaker, rename_speaker) writes only
 * the segments it changed and the head fields (text…) with jsonb_set and ||, instead of sending the
 * whole document for PostgreSQL to parse again: the cached base is exactly the stored JSON (an
 * earlier edit's canonical result), so the stored value is the same as a full rewrite's.
 */
export async function editTranscript(
  db: PgDb,
  cache: TranscriptCache,
  taskId: string,
  scope: Scope,
  request: TranscriptEditRequest,
  now: number,
): Promise<TranscriptEditResult> {
  return db.tx(async (q): Promise<TranscriptEditResult> => {
    const scoped = 'admin' in scope ? { sql: '', params: [] } : { sql: ' AND user_id = $2', params: [scope.userId] };
    const task = await q.get(`SELECT status, finished_at FROM ${db.t.tasks} WHERE id = $1${scoped.sql}`, [
      taskId,
      ...scoped.params,
    ]);
    if (!task) return { ok: false, reason: 'missing' };
    const head = await q.get(
      `SELECT revision, xmin::text AS xmin FROM ${db.t.transcripts} WHERE task_id = $1 FOR UPDATE`,
      [taskId],
    );
    if (task.status !== 'succeeded' || !head) return { ok: false, reason: 'not_ready' };
    const current = Number(head.revision);
    if (request.expected !== null && request.expected !== current) return { ok: false, reason: 'conflict', current };
    const cached = cache.get(taskId, `${current}:${String(head.xmin)}`);
    let json: string | null = null;
    let base: Transcript;
    if (cached !== null) base = cached;
    else {
      const stored = await q.get(`SELECT json::text AS json FROM ${db.t.transcripts} WHERE task_id = $1`, [taskId]);
      json = String(stored?.json);
      base = JSON.parse(json) as Transcript;
    }
    let target: Transcript | null = null;
    if (request.change.kind === 'revert') {
      target = await readRevision(db, q, taskId, request.change.revertTo, current, async () => base);
      if (target === null) return { ok: false, reason: 'no_revision' };
    }
    const next = changedTranscript(base, request, target);
    if (current === 0) await insertRow(db, q, taskId, machineRevision(String(json), Number(task.finished_at ?? now)));
    const row = nextRevision(current, request, next.json, now);
    await insertRow(db, q, taskId, row);
    let written: Row | undefined;
    let bytes: number;
    if (cached !== null && next.changed !== null && next.changed.length <= MAX_IN_PLACE_SEGMENTS) {
      const segments = next.changed.map((i) => JSON.stringify(next.transcript.segments[i]));
      written = await updateInPlace(db, q, taskId, row.revision, next.transcript, next.changed, segments);
      // The cache's bound needs the size, not the text: the base's, plus what was written (an overestimate).
      bytes = cache.sizeOf(taskId) + segments.reduce((n, s) => n + s.length, 0);
    } else {
      const text = next.json();
      written = await q.get(
        `UPDATE ${db.t.transcripts} SET json = $2::jsonb, revision = $3 WHERE task_id = $1 RETURNING xmin::text AS xmin`,
        [taskId, text, row.revision],
      );
      bytes = text.length;
    }
    await reindexEdit(db, q, taskId, base, next);
    // Kept before the commit: should it roll back, no row ever has this version (that xmin never commits).
    cache.set(taskId, `${row.revision}:${String(written?.xmin)}`, next.transcript, bytes);
    return { ok: true, revision: row.revision, transcript: next.transcript, json: next.json };
  });
}

/**
 * Sets segments `changed` of the stored JSON to `next`'s (`segments`: their JSON) and its head fields (everything but
 * `segments`; the same keys as stored, as both are canonical) with one jsonb_set per segment.
 */
async function updateInPlace(
  db: PgDb,
  q: PgQuery,
  taskId: string,
  revision: number,
  next: Transcript,
  changed: readonly number[],
  segments: readonly string[],
): Promise<Row | undefined> {
  const params: unknown[] = [taskId, revision, JSON.stringify({ ...next, segments: undefined })];
  let expr = 'json';
  for (const [k, i] of changed.entries()) {
    params.push(`{segments,${i}}`, segments[k]);
    expr = `jsonb_set(${expr}, $${params.length - 1}::text[], $${params.length}::jsonb)`;
  }
  return q.get(
    `UPDATE ${db.t.transcripts} SET json = ${expr} || $3::jsonb, revision = $2 WHERE task_id = $1 RETURNING xmin::text AS xmin`,
    params,
  );
}

/**
 * The search rows after an edit, from what it changed: the run from the first to the last segment
 * whose times or text changed (a speaker or word-timing change needs none), or the run a split or
 * merge replaced, spliced by transcript_segments_splice (migration 13), which touches only rows whose
 * times or text differ. A revert, or rows not as expected, rebuilds the task's rows from the new JSON.
 */
async function reindexEdit(
  db: PgDb,
  q: PgQuery,
  taskId: string,
  base: Transcript,
  next: ChangedTranscript,
): Promise<void> {
  const after = next.transcript.segments;
  let run: { at: number; removed: number; inserted: number } | null = next.splice;
  if (next.changed !== null) {
    const differs = next.changed.filter((i) => {
      const [a, b] = [base.segments[i], after[i]];
      return a?.start !== b?.start || a?.end !== b?.end || a?.text !== b?.text;
    });
    const first = differs[0];
    const last = differs.at(-1);
    if (first === undefined || last === undefined) return;
    run = { at: first, removed: last - first + 1, inserted: last - first + 1 };
  }
  if (run !== null) {
    const segments = after
      .slice(run.at, run.at + run.inserted)
      .map((s) => ({ start: s.start, end: s.end, text: s.text }));
    const spliced = await q.get(`SELECT ${db.t.schema}.transcript_segments_splice($1, $2, $3, $4::jsonb) AS ok`, [
      taskId,
      run.at,
      run.removed,
      JSON.stringify(segments),
    ]);
    if (spliced?.ok === true) return;
  }
  await q.run(
    `SELECT ${db.t.schema}.transcript_segments_rebuild($1, (SELECT json -> 'segments' FROM ${db.t.transcripts} WHERE task_id = $1))`,
    [taskId],
  );
}

export async function getWithRevision(db: PgDb, taskId: string): Promise<RevisedTranscript | null> {
  return newestOn(db, db, taskId);
}

/** The newest revision's number, or null when the task has no transcript. */
export async function headRevision(db: PgDb, q: PgQuery, taskId: string): Promise<number | null> {
  const head = await q.get(`SELECT revision FROM ${db.t.transcripts} WHERE task_id = $1`, [taskId]);
  return head ? Number(head.revision) : null;
}

export async function getRevision(db: PgDb, taskId: string, revision: number): Promise<Transcript | null> {
  return db.read(async (q) => {
    const head = await headRevision(db, q, taskId);
    if (head === null) return null;
    const newest = async () => (await newestOn(db, q, taskId))?.transcript ?? null;
    return readRevision(db, q, taskId, revision, head, newest);
  });
}

/** Newest `limit` rows, oldest first; the snapshots are never read. */
export async function listRevisions(db: PgDb, taskId: string, limit: number): Promise<TranscriptHistory | null> {
  return db.read(async (q) => {
    const head = await q.get(
      `SELECT tr.revision, t.finished_at FROM ${db.t.transcripts} tr JOIN ${db.t.tasks} t ON t.id = tr.task_id
       WHERE tr.task_id = $1`,
      [taskId],
    );
    if (!head) return null;
    const current = Number(head.revision);
    if (current === 0) return { current, revisions: [implicitMachineRevision(Number(head.finished_at ?? 0))] };
    const rows = await q.all(
      `SELECT r.revision, r.kind, r.user_id, r.created_at, r.operations, r.reverted_to, u.name AS user_name
       FROM ${revisionsTable(db)} r LEFT JOIN ${db.t.users} u ON u.id = r.user_id
       WHERE r.task_id = $1 ORDER BY r.revision DESC LIMIT $2`,
      [taskId, limit],
    );
    return { current, revisions: rows.reverse().map(revisionFromRow) };
  });
}

async function newestOn(db: PgDb, q: PgQuery, taskId: string): Promise<RevisedTranscript | null> {
  const row = await q.get(`SELECT json, revision FROM ${db.t.transcripts} WHERE task_id = $1`, [taskId]);
  return row ? { revision: Number(row.revision), transcript: row.json as Transcript } : null;
}

/**
 * Revision `revision` of a transcript whose newest is `current` (read by `newest`): that one as
 * stored, an older one rebuilt from the nearest snapshot at or below it. Null past the newest.
 */
async function readRevision(
  db: PgDb,
  q: PgQuery,
  taskId: string,
  revision: number,
  current: number,
  newest: () => Promise<Transcript | null>,
): Promise<Transcript | null> {
  if (!Number.isInteger(revision) || revision < 0 || revision > current) return null;
  if (revision === current) return newest();
  const t = revisionsTable(db);
  const rows = await q.all(
    `SELECT revision, operations, snapshot FROM ${t}
     WHERE task_id = $1 AND revision <= $2 AND revision >= (
       SELECT max(revision) FROM ${t} WHERE task_id = $1 AND revision <= $2 AND snapshot IS NOT NULL)
     ORDER BY revision`,
    [taskId, revision],
  );
  return rebuildRevision(rows);
}

async function insertRow(db: PgDb, q: PgQuery, taskId: string, r: RevisionInsert): Promise<void> {
  await q.run(
    `INSERT INTO ${revisionsTable(db)} (task_id, revision, kind, user_id, created_at, operations, snapshot, reverted_to)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8)`,
    [taskId, r.revision, r.kind, r.userId, r.createdAt, r.operations, r.snapshot, r.revertedTo],
  );
}
