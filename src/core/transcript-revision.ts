import type { Transcript } from './transcript.js';
import type { EditOp } from './transcript-edit.js';

/**
 * A transcript's history. Revision 0 is the engine's transcript and is never overwritten; each edit
 * or revert adds the next number. The newest revision is what every reader of the transcript gets
 * (exports, search, polish); older ones are rebuilt on request.
 */

/** `machine`: revision 0. `edit`: operations applied to the revision before. `revert`: a copy of an older revision. */
export const REVISION_KINDS = ['machine', 'edit', 'revert'] as const;
export type RevisionKind = (typeof REVISION_KINDS)[number];

/** One entry of the history (without its content: rebuild it with getTranscriptRevision). */
export interface TranscriptRevision {
  revision: number;
  kind: RevisionKind;
  /** ms epoch; revision 0 is dated when its task finished. */
  createdAt: number;
  /** Who made it; null for the machine revision. */
  userId: string | null;
  /** The user's name, or null (machine revision, or a user since removed). */
  userName: string | null;
  /** An edit's operations; [] for other kinds. */
  operations: EditOp[];
  /** The revision a revert copied, else null. */
  revertedTo: number | null;
}

export interface TranscriptHistory {
  /** The newest revision's number. */
  current: number;
  /** Oldest first; the newest `limit` only. */
  revisions: TranscriptRevision[];
}

/** A transcript with the number of the revision it is. */
export interface RevisedTranscript {
  revision: number;
  transcript: Transcript;
  /**
   * The transcript as compact JSON with only its documented fields, when a store has it at hand or
   * can make it (after an edit). A function, so an edit whose answer needs no JSON (PATCH with
   * `Prefer: return=minimal`, written in place) never serialises the ~1 MB of an hour.
   */
  json?: () => string;
}

/** What a new revision does: apply operations to the newest one, or copy revision `revertTo`. */
export type TranscriptChange = { kind: 'edit'; operations: EditOp[] } | { kind: 'revert'; revertTo: number };

export interface TranscriptEditRequest {
  /** Compare-and-set: the revision the caller edited, or null to apply to the newest whatever it is. */
  expected: number | null;
  userId: string;
  change: TranscriptChange;
}

/**
 * A stored edit's outcome: the new revision (with its JSON text), or why none was made (`missing`: no such task in the
 * scope; `not_ready`: it has not succeeded; `conflict`: `expected` is not the newest revision;
 * `no_revision`: the revert target does not exist). Invalid operations throw InvalidEditError instead.
 */
export type TranscriptEditResult =
  | ({ ok: true; json: () => string } & RevisedTranscript)
  | { ok: false; reason: 'missing' | 'not_ready' | 'no_revision' }
  | { ok: false; reason: 'conflict'; current: number };
