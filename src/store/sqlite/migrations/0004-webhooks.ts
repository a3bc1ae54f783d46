import type { Migration } from '../../migration.js';

/**
 * The webhook outbox. A trigger on the event log writes one delivery per `done`/`error` event of a
 * task that has a callback_url, inside the transaction that logs the event: a finished task and its
 * pending callback commit together, however the transition that ended it is written. Deliveries go
 * with their task (a deleted task's callbacks are neither sent nor listed). Users get a signing
 * secret, set at creation; users created before this migration get one on first use (SQLite has no
 * base64 to make one here).
 */
export const webhooks: Migration = {
  version: 4,
  name: 'webhooks',
  sql: `
ALTER TABLE users ADD COLUMN webhook_secret TEXT;

CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  event_type TEXT NOT NULL CHECK (event_type IN ('done', 'error')),
  url TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  run_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  last_http_status INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  last_attempt_at INTEGER,
  finished_at INTEGER,
  updated_at INTEGER NOT NULL,
  -- As for tasks: a lease exists exactly while a delivery is being sent.
  CHECK ((status = 'sending') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
) STRICT;

-- Claim (due pending ones) and the expired-lease reclaim.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, run_at);
CREATE INDEX webhook_deliveries_lease_idx ON webhook_deliveries (status, lease_expires_at);
CREATE INDEX webhook_deliveries_task_idx ON webhook_deliveries (task_id, created_at);

-- The event's time is the store clock's (the transition wrote it), so the delivery is due at once.
CREATE TRIGGER events_webhook_outbox AFTER INSERT ON events
WHEN NEW.type IN ('done', 'error')
BEGIN
  INSERT INTO webhook_deliveries (id, task_id, user_id, event_type, url, status, run_at, created_at, updated_at)
  SELECT 'msg_' || lower(hex(randomblob(16))), t.id, t.user_id, NEW.type, t.callback_url, 'pending',
    NEW.created_at, NEW.created_at, NEW.created_at
  FROM tasks t WHERE t.id = NEW.task_id AND t.callback_url IS NOT NULL;
END;
`,
};
