import { InternalError } from '../core/errors/index.js';
import type { Transcript } from '../core/transcript.js';
import { applyEdits, type EditOp } from '../core/transcript-edit.js';
import type { RevisionKind, TranscriptEditRequest, TranscriptRevision } from '../core/transcript-revision.js';
import { canonicalTranscript } from '../formats/json.js';
import type { Row } from './task.rows.js';

/**
 * Transcript history rows, shared by both adapters. `transcripts.json` always holds the newest
 * revision (so exports, search and polish need nothing new) and `transcripts.revision` its number.
 * `transcript_revisions` keeps the history: revision 0 (the machine transcript, written at the first
 * edit) and reverts carry a full snapshot, edits only their operations, plus a snapshot every
 * SNAPSHOT_EVERY revisions. An hour of speech is about 1 MB of JSON, so a snapshot per edit would
 * grow a busy transcript by megabytes a minute; operations are a few hundred bytes, and rebuilding
 * revision M replays at most SNAPSHOT_EVERY - 1 edits onto the nearest snapshot at or below it.
 */

export const SNAPSHOT_EVERY = 25;

/** The columns of a new history row, in the order both adapters insert them. */
export interface RevisionInsert {
  revision: number;
  kind: RevisionKind;
  userId: string | null;
  createdAt: number;
  /** JSON text. */
  operations: string;
  /** JSON text, or null for an edit that is not a snapshot point. */
  snapshot: string | null;
  revertedTo: number | null;
}

/** Revision 0's row, written when the first edit comes: the machine transcript as it was stored. */
export function machineRevision(json: string, finishedAt: number): RevisionInsert {
  return {
    revision: 0,
    kind: 'machine',
    userId: null,
    createdAt: finishedAt,
    operations: '[]',
    snapshot: json,
    revertedTo: null,
  };
}

/** The row for revision `current + 1`, whose content is `json()` (made only for a snapshot). */
export function nextRevision(
  current: number,
  request: TranscriptEditRequest,
  json: () => string,
  now: number,
): RevisionInsert {
  const revision = current + 1;
  const { change } = request;
  const snapshot = change.kind === 'revert' || revision % SNAPSHOT_EVERY === 0;
  return {
    revision,
    kind: change.kind,
    userId: request.userId,
    createdAt: now,
    operations: change.kind === 'edit' ? JSON.stringify(change.operations) : '[]',
    snapshot: snapshot ? json() : null,
    revertedTo: change.kind === 'revert' ? change.revertTo : null,
  };
}

/**
 * The newest revision after applying `request` to `base` (the newest, revision `current`), with
 * only the documented fields (as GET's JSON has them), and that as compact JSON, made on first use
 * and kept: the text is stored and also answered as it is, so an edit serialises the ~1 MB of an
 * hour-long transcript at most once, and not at all when it is written in place and not answered.
 * `changed`: for an edit that keeps the number of segments, the indexes of the segments it changed
 * (applyEdits keeps the objects of the others), so a store can rewrite only those; else null.
 * `splice`: for an edit that changes the number (split, merge), the run of segments it replaced:
 * `removed` old ones from index `at` became `inserted` new ones; the segments before and after the
 * run are the same objects as before. Null for a revert and when `changed` is set.
 */
export interface SegmentSplice {
  at: number;
  removed: number;
  inserted: number;
}

/** changedTranscript's answer. */
export interface ChangedTranscript {
  transcript: Transcript;
  json: () => string;
  changed: number[] | null;
  splice: SegmentSplice | null;
}

export function changedTranscript(
  base: Transcript,
  request: TranscriptEditRequest,
  revertTarget: Transcript | null,
): ChangedTranscript {
  let next: Transcript;
  let changed: number[] | null = null;
  let splice: SegmentSplice | null = null;
  if (request.change.kind === 'edit') {
    next = applyEdits(base, request.change.operations);
    const [before, after] = [base.segments, next.segments];
    if (after.length === before.length) {
      changed = [];
      for (let i = 0; i < after.length; i++) if (after[i] !== before[i]) changed.push(i);
    } else {
      const shorter = Math.min(before.length, after.length);
      let a = 0;
      while (a < shorter && after[a] === before[a]) a++;
      let b = 0;
      while (b < shorter - a && after[after.length - 1 - b] === before[before.length - 1 - b]) b++;
      splice = { at: a, removed: before.length - a - b, inserted: after.length - a - b };
    }
  } else if (revertTarget === null) throw new InternalError('a revert needs its target revision');
  else next = revertTarget;
  const transcript = canonicalTranscript(next);
  let json: string | undefined;
  return { transcript, json: () => (json ??= JSON.stringify(transcript)), changed, splice };
}

/**
 * A revision's content from its history rows, oldest first: the first holds a snapshot, the rest
 * are edits replayed in order. Operations were valid when stored and applyEdits is deterministic,
 * so a replay never fails unless the rows were tampered with.
 */
export function rebuildRevision(rows: readonly Row[]): Transcript {
  const [first, ...rest] = rows;
  if (first === undefined || first.snapshot === null || first.snapshot === undefined) {
    throw new InternalError('transcript history has no snapshot to rebuild from');
  }
  let transcript = parsed<Transcript>(first.snapshot);
  for (const row of rest) transcript = applyEdits(transcript, parsed<EditOp[]>(row.operations));
  return transcript;
}

/** A history row (with `user_name` joined from users) as the domain type. */
export function revisionFromRow(r: Row): TranscriptRevision {
  return {
    revision: Number(r.revision),
    kind: String(r.kind) as RevisionKind,
    createdAt: Number(r.created_at),
    userId: r.user_id === null || r.user_id === undefined ? null : String(r.user_id),
    userName: r.user_name === null || r.user_name === undefined ? null : String(r.user_name),
    operations: parsed<EditOp[]>(r.operations),
    revertedTo: r.reverted_to === null || r.reverted_to === undefined ? null : Number(r.reverted_to),
  };
}

/** Revision 0 of a transcript never edited (its history rows are written at the first edit). */
export function implicitMachineRevision(finishedAt: number): TranscriptRevision {
  return {
    revision: 0,
    kind: 'machine',
    createdAt: finishedAt,
    userId: null,
    userName: null,
    operations: [],
    revertedTo: null,
  };
}

/** SQLite gives JSON text, PostgreSQL parsed jsonb. */
function parsed<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}
