import type { Migration } from '../../migration.js';

/**
 * Fewer pages written per transition, and task counts that cost one row read.
 *
 * SQLite appends every page a transaction changes to the WAL, whole (4 KiB), so a transition's cost
 * is mostly the number of index pages it touches. The claim and lease indexes covered every task,
 * with `status` as their first column: each status change moved a task's entry from one part of
 * both indexes to another (about four pages), and an enqueue wrote a lease-index entry for a task
 * with no lease. As partial indexes (the shape PostgreSQL's already have) a queued task is in the
 * claim index only and a processing one in the lease index only, so a claim deletes one entry and
 * inserts one, and a completion deletes one.
 *
 * Without `status` leading an index, counting tasks by status would scan the table, so triggers keep
 * `task_counts`: one row per status. Each transition rewrites that one page, and both the queue bound
 * (the enqueue) and countByStatus (uploads' pre-check, readiness, metrics) read five rows instead of
 * scanning every queued or every stored task. SQLite has one writer at a time, so the rows are never
 * contended; PostgreSQL keeps its own per-backend counter (its migration 14).
 */
export const taskCounts: Migration = {
  version: 12,
  name: 'task-counts',
  sql: `
DROP INDEX tasks_claim_idx;
CREATE INDEX tasks_claim_idx ON tasks (priority DESC, created_at, id, run_at) WHERE status = 'queued';
DROP INDEX tasks_lease_idx;
CREATE INDEX tasks_lease_idx ON tasks (lease_expires_at) WHERE status = 'processing';

CREATE TABLE task_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL CHECK (n >= 0)) STRICT, WITHOUT ROWID;
INSERT INTO task_counts (status, n)
  SELECT s.status, (SELECT count(*) FROM tasks t WHERE t.status = s.status)
  FROM (SELECT 'queued' AS status UNION ALL SELECT 'processing' UNION ALL SELECT 'succeeded'
        UNION ALL SELECT 'failed' UNION ALL SELECT 'cancelled') s;

CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks BEGIN
  UPDATE task_counts SET n = n + 1 WHERE status = new.status;
END;
CREATE TRIGGER tasks_count_update AFTER UPDATE OF status ON tasks WHEN old.status <> new.status BEGIN
  UPDATE task_counts SET n = n - 1 WHERE status = old.status;
  UPDATE task_counts SET n = n + 1 WHERE status = new.status;
END;
CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks BEGIN
  UPDATE task_counts SET n = n - 1 WHERE status = old.status;
END;
`,
};
