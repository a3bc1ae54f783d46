import type { Migration } from '../../migration.js';

/**
 * STRICT tables: SQLite then rejects a value of the wrong type instead of storing it. Timestamps are
 * INTEGER ms since epoch, JSON is TEXT. tasks.user_id has no foreign key on purpose: tasks may be
 * created by local tools (CLI) before any user exists, and events outlive their task.
 */
export const initial: Migration = {
  version: 1,
  name: 'initial',
  sql: `
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('user', 'admin')),
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'succeeded', 'failed', 'cancelled')),
  stage TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  source_name TEXT NOT NULL,
  media_path TEXT NOT NULL,
  media_bytes INTEGER NOT NULL,
  options TEXT NOT NULL,
  callback_url TEXT,
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
  run_at INTEGER NOT NULL,
  duration_seconds REAL,
  done_seconds REAL NOT NULL DEFAULT 0,
  speed REAL,
  error_code TEXT,
  error_message TEXT,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  plan_complete INTEGER NOT NULL DEFAULT 0 CHECK (plan_complete IN (0, 1)),
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  updated_at INTEGER NOT NULL,
  -- A lease exists exactly while the task is processing: the lease-holder checks rely on it.
  CHECK ((status = 'processing') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
) STRICT;

-- Claim: walk queued tasks in claim order and stop at the first one that is due (tasks in a retry
-- backoff are the only ones skipped), instead of sorting every due task on each claim.
CREATE INDEX tasks_claim_idx ON tasks (status, priority DESC, created_at, id, run_at);
-- The expired-lease sweep.
CREATE INDEX tasks_lease_idx ON tasks (status, lease_expires_at);
-- Listing, newest first: one user's tasks, or everybody's for admins.
CREATE INDEX tasks_user_created_idx ON tasks (user_id, created_at DESC, id DESC);
CREATE INDEX tasks_created_idx ON tasks (created_at DESC, id DESC);

CREATE TABLE chunks (
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  start_sample INTEGER NOT NULL,
  end_sample INTEGER NOT NULL,
  segments TEXT,
  attempt INTEGER,
  PRIMARY KEY (task_id, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE transcripts (
  task_id TEXT PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
  json TEXT NOT NULL
) STRICT;

-- AUTOINCREMENT: seq is the SSE resume id, so it must never be reused after old events are pruned.
-- task_id has no foreign key: the 'deleted' event outlives its task.
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX events_task_idx ON events (task_id, seq);
CREATE INDEX events_user_idx ON events (user_id, seq);
CREATE INDEX events_created_idx ON events (created_at);
`,
};
