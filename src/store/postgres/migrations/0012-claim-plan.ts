import type { Migration } from '../../migration.js';

/**
 * The claim's candidate search and update in a function that plans it with bitmap scans and sorts
 * disabled, so it always walks tasks_claim_idx in order and stops at the first unlocked due row.
 * Left to the planner, a table not analysed yet (a new deployment's first minute, or any burst
 * before autovacuum's next round) has no statistics: `status = 'queued'` is then guessed to match a
 * handful of rows, and the claim becomes a bitmap scan plus a sort of every queued row (0.7 ms with
 * 1000 queued, against 0.05 ms in index order), paid again by every claim. A function's SET list is
 * the one per-statement planner setting PostgreSQL offers.
 *
 * One query inside, so one snapshot, as when the claim was a statement of its own: the candidate is
 * locked with SKIP LOCKED (a row another claimer is taking is passed over, not waited for) and
 * re-checked once locked, so each task goes to one claimer. The caller appends the event, from the
 * returned row. `started_at` and `updated_at` are `due` (the caller's clock).
 */
export const claimPlan: Migration = {
  version: 12,
  name: 'claim-plan',
  sql: `
CREATE FUNCTION claim_next(due bigint, owner text, expires bigint) RETURNS SETOF tasks
  LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT SET enable_bitmapscan = off SET enable_sort = off AS $$
BEGIN
  RETURN QUERY
  UPDATE tasks t SET status = 'processing', stage = 'decoding', attempts = t.attempts + 1,
    lease_owner = owner, lease_expires_at = expires, started_at = due, finished_at = NULL,
    error_code = NULL, error_message = NULL, speed = NULL, updated_at = due
  FROM (SELECT q.id FROM tasks q WHERE q.status = 'queued' AND q.run_at <= due
        ORDER BY q.priority DESC, q.created_at, q.id LIMIT 1 FOR UPDATE SKIP LOCKED) pick
  WHERE t.id = pick.id
  RETURNING t.*;
END;
$$;
`,
};
