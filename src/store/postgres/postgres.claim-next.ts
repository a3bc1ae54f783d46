import type { Transcript } from '../../core/transcript.js';
import { type Row, taskFromRow } from '../task.rows.js';
import type { CompleteAndClaim } from '../task.store.js';
import * as chunks from './postgres.chunks.js';
import type { PgDb } from './postgres.db.js';
import { EVENT_DATA_SQL } from './postgres.event-data.js';
import * as events from './postgres.events.js';

/**
 * Claiming, alone or right after a completion. Both take the task through claim_next() (migration
 * 12), which walks the claim index in order whatever the table's statistics say.
 */

/** $1 = now, $2 = worker id, $3 = lease expiry. */
export function claimSql(db: PgDb): string {
  return `WITH claimed AS (SELECT * FROM ${db.t.schema}.claim_next($1, $2, $3)),
     ${events.eventCte(db, 'ev', 'claimed', 'progress', EVENT_DATA_SQL.progress, '$1')}
     SELECT * FROM claimed`;
}

export async function claim(db: PgDb, workerId: string, leaseMs: number, now: number): Promise<Row | undefined> {
  return db.get(claimSql(db), [now, workerId, now + leaseMs]);
}

/**
 * complete() and claim() in one statement, so one commit (one fsync) per task instead of two. The
 * completion is complete()'s single statement, unchanged; the claim runs only when it completed a
 * task (a one-time filter: a worker that lost its lease claims nothing). The claim's function reads
 * with a snapshot of its own, taken after the statement's, so a candidate committed in between can
 * be locked but not updated by this statement: it stays queued and `next` is null, as if the queue
 * had been empty a moment earlier. `undefined` when the fast path does not apply (the task asks for
 * artifacts, or the lease is not held): the caller then completes and claims in two steps.
 */
export async function completeAndClaim(
  db: PgDb,
  id: string,
  workerId: string,
  transcript: Transcript,
  leaseMs: number,
  now: number,
  completion: { set: string; held: string; wantsArtifacts: string },
): Promise<CompleteAndClaim | undefined> {
  const row = await db.get(
    `WITH done AS (UPDATE ${db.t.tasks} SET ${completion.set}
       WHERE ${completion.held} AND NOT (${completion.wantsArtifacts}) RETURNING *),
     ${chunks.transcriptCte(db, 'tr', 'done', '$5')},
     ${events.eventCte(db, 'ev', 'done', 'done', EVENT_DATA_SQL.done, '$4::bigint')},
     claimed AS (SELECT c.* FROM ${db.t.schema}.claim_next($4, $2, $6) c WHERE EXISTS (SELECT 1 FROM done)),
     ${events.eventCte(db, 'ev_next', 'claimed', 'progress', EVENT_DATA_SQL.progress, '$4::bigint')}
     SELECT (SELECT count(*) FROM done) AS completed_count, c.* FROM (VALUES (1)) AS one (x) LEFT JOIN claimed c ON TRUE`,
    [id, workerId, transcript.duration, now, JSON.stringify(transcript), now + leaseMs],
  );
  if (row === undefined || Number(row.completed_count) === 0) return undefined;
  return { completed: true, next: row.id === null ? null : taskFromRow(row) };
}
