import type { Migration } from '../../migration.js';

/**
 * The worker registry: one row per worker process, renewed by its heartbeat and removed when it
 * exits gracefully (or pruned long after its lease ran out). task_ids is a jsonb array, bounded by
 * the worker's slots.
 */
export const workers: Migration = {
  version: 5,
  name: 'workers',
  sql: `
CREATE TABLE workers (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  engine TEXT NOT NULL,
  slots INTEGER NOT NULL CHECK (slots >= 0),
  version TEXT NOT NULL,
  task_ids JSONB NOT NULL DEFAULT '[]',
  state TEXT NOT NULL CHECK (state IN ('running', 'draining')),
  lease_ms INTEGER NOT NULL CHECK (lease_ms > 0),
  started_at BIGINT NOT NULL,
  heartbeat_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);

-- Stale marking is computed on read; the prune deletes by expiry.
CREATE INDEX workers_expires_idx ON workers (expires_at);
`,
};
