import { ConflictError, InternalError, NotFoundError, PreconditionFailedError } from '../core/errors/index.js';
import type { Task } from '../core/task.js';
import type { EditOp } from '../core/transcript-edit.js';
import type { RevisedTranscript, TranscriptChange, TranscriptHistory } from '../core/transcript-revision.js';
import type { User } from '../core/user.js';
import type { TaskStore } from '../store/task.store.js';
import { scopeOf } from './task.service.js';

/**
 * Editing a finished transcript: each edit or revert makes a new revision, guarded by the revision
 * the caller read (HTTP `ETag: "r<N>"` and `If-Match`), so two people editing at once never
 * overwrite each other silently: the later save gets 412 and reloads.
 */

/** Most history entries one request returns (the newest): an editor shows recent changes, not years of them. */
export const MAX_LISTED_REVISIONS = 1000;

/** The ETag of revision `n`. */
export function revisionEtag(n: number): string {
  return `"r${n}"`;
}

/**
 * The revision an If-Match header names: null when absent or `*` (apply to the newest), else the
 * number of its one strong `"r<N>"` tag. Anything else can never match a revision's ETag (weak tags
 * do not match under If-Match), so it fails as a stale precondition would.
 */
export function expectedRevision(ifMatch: string | undefined): number | null {
  if (ifMatch === undefined) return null;
  const value = ifMatch.trim();
  if (value === '*') return null;
  const m = /^"r(0|[1-9][0-9]{0,8})"$/.exec(value);
  if (m === null) throw new PreconditionFailedError(`If-Match ${value} matches no revision (expected "r<N>")`);
  return Number(m[1]);
}

/** The newest revision of a succeeded task, or revision `revision` (404 when it does not exist). */
export async function readTranscriptRevision(
  store: TaskStore,
  task: Task,
  revision: number | undefined,
): Promise<RevisedTranscript> {
  if (task.status !== 'succeeded') {
    throw new ConflictError(`the transcript is not ready (task is ${task.status})`, 'not_ready');
  }
  if (revision !== undefined) {
    const transcript = await store.getTranscriptRevision(task.id, revision);
    if (transcript === null) throw new NotFoundError(`revision ${revision}`);
    return { revision, transcript };
  }
  const newest = await store.getTranscriptWithRevision(task.id);
  if (newest === null) throw new InternalError(`task ${task.id} succeeded without a transcript`);
  return newest;
}

/** Applies `operations` (already parsed) as the next revision. */
export function editTranscript(
  store: TaskStore,
  user: User,
  taskId: string,
  expected: number | null,
  operations: EditOp[],
): Promise<RevisedTranscript> {
  return change(store, user, taskId, expected, { kind: 'edit', operations });
}

/** A new revision whose content is revision `revision`'s. */
export function revertTranscript(
  store: TaskStore,
  user: User,
  taskId: string,
  expected: number | null,
  revision: number,
): Promise<RevisedTranscript> {
  return change(store, user, taskId, expected, { kind: 'revert', revertTo: revision });
}

async function change(
  store: TaskStore,
  user: User,
  taskId: string,
  expected: number | null,
  change: TranscriptChange,
): Promise<RevisedTranscript> {
  const result = await store.editTranscript(taskId, scopeOf(user), { expected, userId: user.id, change });
  if (result.ok) return { revision: result.revision, transcript: result.transcript, json: result.json };
  switch (result.reason) {
    case 'missing':
      throw new NotFoundError();
    case 'not_ready':
      throw new ConflictError('the transcript is not ready (the task has not succeeded)', 'not_ready');
    case 'no_revision':
      throw new NotFoundError(`revision ${change.kind === 'revert' ? change.revertTo : ''}`.trim());
    case 'conflict':
      throw new PreconditionFailedError(
        `the transcript changed: revision ${result.current} is the newest, not ${expected ?? '?'}; reload and edit again`,
      );
  }
}

/** The newest MAX_LISTED_REVISIONS history entries of a succeeded task. */
export async function transcriptHistory(store: TaskStore, task: Task): Promise<TranscriptHistory> {
  if (task.status !== 'succeeded') {
    throw new ConflictError(`the transcript is not ready (task is ${task.status})`, 'not_ready');
  }
  const history = await store.listTranscriptRevisions(task.id, MAX_LISTED_REVISIONS);
  if (history === null) throw new InternalError(`task ${task.id} succeeded without a transcript`);
  return history;
}
