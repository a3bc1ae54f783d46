import type { Migration } from '../../migration.js';

/**
 * A bounded enqueue in one statement. The bound needs a count of queued tasks taken after the
 * enqueue lock is granted: within one statement, READ COMMITTED reads a snapshot taken before any
 * lock wait, but a VOLATILE function takes a fresh snapshot for each query it runs, so this one takes
 * the lock, then counts. The lock is held to commit, so concurrent enqueues cannot overshoot.
 * Queue tables churn: analyse them sooner than the default (10% of the rows), so the claim keeps
 * using the claim index in order as the queue grows.
 */
export const enqueueBound: Migration = {
  version: 7,
  name: 'enqueue-bound',
  sql: `
CREATE FUNCTION queued_count_locked(lock_key bigint) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(lock_key);
  RETURN (SELECT count(*) FROM tasks WHERE status = 'queued');
END;
$$;

ALTER TABLE tasks SET (autovacuum_analyze_threshold = 200, autovacuum_analyze_scale_factor = 0.02,
  autovacuum_vacuum_threshold = 200, autovacuum_vacuum_scale_factor = 0.05);
`,
};
