import type { Migration } from '../../migration.js';

/**
 * Runs with search_path set to the store's schema, so names here are unqualified. Timestamps are
 * BIGINT ms since epoch (the same values as in SQLite, mapped to numbers on read); JSON is jsonb.
 * tasks.user_id has no foreign key on purpose: tasks may be created by local tools (CLI) before any
 * user exists, and events outlive their task.
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
  created_at BIGINT NOT NULL
);

CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'succeeded', 'failed', 'cancelled')),
  stage TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  source_name TEXT NOT NULL,
  media_path TEXT NOT NULL,
  media_bytes BIGINT NOT NULL,
  options JSONB NOT NULL,
  callback_url TEXT,
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
  run_at BIGINT NOT NULL,
  duration_seconds DOUBLE PRECISION,
  done_seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
  speed DOUBLE PRECISION,
  error_code TEXT,
  error_message TEXT,
  lease_owner TEXT,
  lease_expires_at BIGINT,
  plan_complete BOOLEAN NOT NULL DEFAULT FALSE,
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT,
  updated_at BIGINT NOT NULL,
  -- A lease exists exactly while the task is processing: the lease-holder checks rely on it.
  CHECK ((status = 'processing') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);

-- Claim: walk queued tasks in claim order and stop at the first due one that is not locked by
-- another claimer, instead of sorting every due task on each claim.
CREATE INDEX tasks_claim_idx ON tasks (priority DESC, created_at, id) INCLUDE (run_at) WHERE status = 'queued';
-- The expired-lease sweep.
CREATE INDEX tasks_lease_idx ON tasks (lease_expires_at) WHERE status = 'processing';
CREATE INDEX tasks_status_idx ON tasks (status);
-- Listing, newest first: one user's tasks, or everybody's for admins.
CREATE INDEX tasks_user_created_idx ON tasks (user_id, created_at DESC, id DESC);
CREATE INDEX tasks_created_idx ON tasks (created_at DESC, id DESC);

CREATE TABLE chunks (
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  start_sample BIGINT NOT NULL,
  end_sample BIGINT NOT NULL,
  segments JSONB,
  attempt INTEGER,
  PRIMARY KEY (task_id, idx)
);

CREATE TABLE transcripts (
  task_id TEXT PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
  json JSONB NOT NULL
);

-- seq is the SSE resume id. task_id has no foreign key: the 'deleted' event outlives its task.
CREATE TABLE events (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  task_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  type TEXT NOT NULL,
  data JSONB NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE INDEX events_task_idx ON events (task_id, seq);
CREATE INDEX events_user_idx ON events (user_id, seq);
CREATE INDEX events_created_idx ON events (created_at);
`,
};
