import type { Migration } from '../../migration.js';

/**
 * The webhook outbox. A trigger on the event log writes one delivery per `done`/`error` event of a
 * task that has a callback_url, inside the transaction that logs the event: a finished task and its
 * pending callback commit together, however the transition that ended it is written. Deliveries go
 * with their task (a deleted task's callbacks are neither sent nor listed). Users get a signing
 * secret, set at creation; users created before this migration get one on first use.
 *
 * The trigger function runs with the search_path it was created with (this schema): the store's own
 * queries name tables fully qualified and leave the connection's search_path alone.
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
  run_at BIGINT NOT NULL,
  lease_owner TEXT,
  lease_expires_at BIGINT,
  last_http_status INTEGER,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  last_attempt_at BIGINT,
  finished_at BIGINT,
  updated_at BIGINT NOT NULL,
  -- As for tasks: a lease exists exactly while a delivery is being sent.
  CHECK ((status = 'sending') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);

-- Claim (due pending ones) and the expired-lease reclaim.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (run_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_lease_idx ON webhook_deliveries (lease_expires_at) WHERE status = 'sending';
CREATE INDEX webhook_deliveries_task_idx ON webhook_deliveries (task_id, created_at);

-- The event's time is the store clock's (the transition wrote it), so the delivery is due at once.
CREATE FUNCTION webhook_outbox() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO webhook_deliveries (id, task_id, user_id, event_type, url, status, run_at, created_at, updated_at)
  SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), t.id, t.user_id, NEW.type, t.callback_url,
    'pending', NEW.created_at, NEW.created_at, NEW.created_at
  FROM tasks t WHERE t.id = NEW.task_id AND t.callback_url IS NOT NULL;
  RETURN NULL;
END;
$$;

CREATE TRIGGER events_webhook_outbox AFTER INSERT ON events
FOR EACH ROW WHEN (NEW.type IN ('done', 'error')) EXECUTE FUNCTION webhook_outbox();
`,
};
