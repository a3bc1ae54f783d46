import type { Migration } from '../../migration.js';

/**
 * LLM post-processing artifacts (summary, polish) with their own lifecycle and lease, and their
 * results in a separate table so status polls read only the small row. Both go with their task.
 */
export const artifacts: Migration = {
  version: 2,
  name: 'artifacts',
  sql: `
CREATE TABLE artifacts (
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('summary', 'polish')),
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  stage TEXT NOT NULL,
  done_windows INTEGER NOT NULL DEFAULT 0 CHECK (done_windows >= 0),
  total_windows INTEGER NOT NULL DEFAULT 0 CHECK (total_windows >= 0),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
  run_at BIGINT NOT NULL,
  error_code TEXT,
  error_message TEXT,
  lease_owner TEXT,
  lease_expires_at BIGINT,
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (task_id, kind),
  -- As for tasks: a lease exists exactly while the artifact is running.
  CHECK ((status = 'running') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);

-- Claim (oldest due first) and the expired-lease sweep.
CREATE INDEX artifacts_claim_idx ON artifacts (status, run_at, created_at);
CREATE INDEX artifacts_lease_idx ON artifacts (status, lease_expires_at);

CREATE TABLE artifact_results (
  task_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  json JSONB NOT NULL,
  PRIMARY KEY (task_id, kind),
  FOREIGN KEY (task_id, kind) REFERENCES artifacts (task_id, kind) ON DELETE CASCADE
);
`,
};
