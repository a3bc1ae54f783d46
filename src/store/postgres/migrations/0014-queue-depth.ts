import type { Migration } from '../../migration.js';
import { SEGMENTS_WORD_COUNT_SQL } from './0013-edit-cost.js';

/**
 * The queue bound without counting the queue. queued_count_locked() (migration 7) counted every
 * queued task under the enqueue lock, so each enqueue cost grew with the queue (the count alone took
 * 0.74 ms at 10,000 queued and 4 ms at 50,000 on the development machine) and every enqueue waited
 * for it. Now triggers on `tasks` keep the number in `queue_depth`, and the enqueue sums a few rows.
 *
 * One row per PostgreSQL backend (its pid): a transition moves a task in or out of 'queued' and adds
 * +1 or -1 to its own backend's row, so concurrent transitions never wait on one another's counter
 * (two live backends never share a pid), and no two of them can deadlock over it. The sum of the
 * rows is the number of queued tasks as committed; a reader under the enqueue lock, with a fresh
 * snapshot, sees exactly what the old count saw.
 *
 * Rows of backends that have ended are folded into row 0 by the enqueue, under the enqueue lock
 * (the only writer of row 0), when more than QUEUE_DEPTH_ROWS rows are there: a row whose pid is
 * not a live backend is deleted and its count added to row 0 in the same statement, so the sum
 * never changes. SKIP LOCKED passes over a row a new backend that reused the pid is updating. Row 0
 * is upserted, not assumed: TRUNCATE (which fires no row trigger) empties both tables together.
 */
export const QUEUE_DEPTH_ROWS = 64;

export const queueDepth: Migration = {
  version: 14,
  name: 'queue-depth',
  sql: `
CREATE TABLE queue_depth (
  backend integer PRIMARY KEY,
  queued bigint NOT NULL
);
-- Transitions by other nodes wait until the count and the triggers are in place.
LOCK TABLE tasks IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO queue_depth (backend, queued) SELECT 0, count(*) FROM tasks WHERE status = 'queued';

-- The triggers' WHEN clauses pick the rows entering (+1) or leaving (-1) 'queued'; the argument is the
-- change. PL/pgSQL, not an SQL function: it keeps the upsert's plan for the session, where an SQL
-- function would parse and plan it again on every call (13% of an enqueue's server time, profiled).
CREATE FUNCTION tasks_queue_depth() RETURNS trigger
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO queue_depth (backend, queued) VALUES (pg_backend_pid(), TG_ARGV[0]::integer)
  ON CONFLICT (backend) DO UPDATE SET queued = queue_depth.queued + excluded.queued;
  RETURN NULL;
END;
$$;

CREATE TRIGGER tasks_queue_depth_insert AFTER INSERT ON tasks
  FOR EACH ROW WHEN (NEW.status = 'queued') EXECUTE FUNCTION tasks_queue_depth('1');
CREATE TRIGGER tasks_queue_depth_enter AFTER UPDATE OF status ON tasks
  FOR EACH ROW WHEN (OLD.status <> 'queued' AND NEW.status = 'queued') EXECUTE FUNCTION tasks_queue_depth('1');
CREATE TRIGGER tasks_queue_depth_leave AFTER UPDATE OF status ON tasks
  FOR EACH ROW WHEN (OLD.status = 'queued' AND NEW.status <> 'queued') EXECUTE FUNCTION tasks_queue_depth('-1');
CREATE TRIGGER tasks_queue_depth_delete AFTER DELETE ON tasks
  FOR EACH ROW WHEN (OLD.status = 'queued') EXECUTE FUNCTION tasks_queue_depth('-1');

-- The word count a completion's trigger takes (migration 13), as PL/pgSQL for the same reason: as an
-- SQL function with a FROM clause it cannot be inlined, so each completion parsed and planned it
-- again (7% of the server's time in the queue bench, profiled).
CREATE OR REPLACE FUNCTION transcript_segments_word_count(segs jsonb) RETURNS integer
  LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN (${SEGMENTS_WORD_COUNT_SQL});
END;
$$;

CREATE OR REPLACE FUNCTION queued_count_locked(lock_key bigint) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $$
DECLARE
  total bigint;
  row_count bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(lock_key);
  SELECT coalesce(sum(queued), 0), count(*) INTO total, row_count FROM queue_depth;
  IF row_count > ${QUEUE_DEPTH_ROWS} THEN
    WITH gone AS (
      DELETE FROM queue_depth WHERE backend IN (
        SELECT backend FROM queue_depth
        WHERE backend <> 0 AND backend NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)
        FOR UPDATE SKIP LOCKED)
      RETURNING queued)
    INSERT INTO queue_depth (backend, queued) SELECT 0, coalesce(sum(queued), 0) FROM gone
    ON CONFLICT (backend) DO UPDATE SET queued = queue_depth.queued + excluded.queued;
  END IF;
  RETURN total;
END;
$$;
`,
};
