import {
  newWebhookSecret,
  type WebhookDelivery,
  type WebhookDeliveryStatus,
  type WebhookFailure,
  type WebhookRetryPolicy,
} from '../../core/webhook.js';
import { webhookDeliveryFromRow } from '../task.rows.js';
import { clipError, WEBHOOK_SENDER_LOST, webhookCountsFrom, webhookFailureOutcome } from '../webhook.transitions.js';
import type { SqliteDb } from './sqlite.db.js';

/**
 * The webhook outbox on SQLite. Deliveries are inserted by the `events_webhook_outbox` trigger
 * (migration 4); these are the sender's transitions and the reads. Transitions run in the caller's
 * BEGIN IMMEDIATE (see SqliteDb), so a claim's choice and its update cannot interleave with another
 * process's claim.
 */

/** Holder-only condition. */
const HELD = "id = @id AND status = 'sending' AND lease_owner = @owner";

/** Reads the secret, making one first for a user created before secrets existed. Call inside write(). */
export function secret(db: SqliteDb, userId: string): string | null {
  const row = db.get('SELECT webhook_secret FROM users WHERE id = ?', [userId]);
  if (!row) return null;
  if (typeof row.webhook_secret === 'string') return row.webhook_secret;
  return rotate(db, userId);
}

export function rotate(db: SqliteDb, userId: string): string | null {
  const row = db.get('UPDATE users SET webhook_secret = ? WHERE id = ? RETURNING webhook_secret', [
    newWebhookSecret(),
    userId,
  ]);
  return typeof row?.webhook_secret === 'string' ? row.webhook_secret : null;
}

/** The stored secret, or null (no such user, or none yet): a read that needs no write lock. */
export function storedSecret(db: SqliteDb, userId: string): string | null {
  const row = db.get('SELECT webhook_secret FROM users WHERE id = ?', [userId]);
  return typeof row?.webhook_secret === 'string' ? row.webhook_secret : null;
}

export function claim(
  db: SqliteDb,
  owner: string,
  leaseMs: number,
  limit: number,
  policy: WebhookRetryPolicy,
  now: number,
): WebhookDelivery[] {
  // Expired leases without tries left end here; the rest are claimable below.
  db.run(
    `UPDATE webhook_deliveries SET status = 'failed', last_error = @lost, last_http_status = NULL,
       lease_owner = NULL, lease_expires_at = NULL, finished_at = @now, updated_at = @now
     WHERE status = 'sending' AND lease_expires_at < @now AND attempts >= @max`,
    { now, max: policy.maxAttempts, lost: WEBHOOK_SENDER_LOST },
  );
  return db
    .all(
      `UPDATE webhook_deliveries SET status = 'sending', attempts = attempts + 1, lease_owner = @owner,
         lease_expires_at = @expires, last_attempt_at = @now, updated_at = @now
       WHERE id IN (
         SELECT id FROM (
           SELECT id, run_at FROM webhook_deliveries WHERE status = 'pending' AND run_at <= @now
           UNION ALL
           SELECT id, run_at FROM webhook_deliveries WHERE status = 'sending' AND lease_expires_at < @now
         ) ORDER BY run_at, id LIMIT @limit)
       RETURNING *`,
      { owner, now, expires: now + leaseMs, limit },
    )
    .map(webhookDeliveryFromRow)
    .sort((a, b) => a.runAt - b.runAt || a.id.localeCompare(b.id));
}

export function complete(db: SqliteDb, id: string, owner: string, httpStatus: number, now: number) {
  const row = db.get(
    `UPDATE webhook_deliveries SET status = 'delivered', last_http_status = @httpStatus, last_error = NULL,
       lease_owner = NULL, lease_expires_at = NULL, finished_at = @now, updated_at = @now
     WHERE ${HELD} RETURNING *`,
    { id, owner, httpStatus, now },
  );
  return row ? webhookDeliveryFromRow(row) : null;
}

export function fail(
  db: SqliteDb,
  id: string,
  owner: string,
  failure: WebhookFailure,
  policy: WebhookRetryPolicy,
  now: number,
): WebhookDelivery | null {
  const held = db.get(`SELECT * FROM webhook_deliveries WHERE ${HELD}`, { id, owner });
  if (!held) return null;
  const outcome = webhookFailureOutcome(webhookDeliveryFromRow(held), failure, policy, now);
  const row = db.get(
    `UPDATE webhook_deliveries SET status = @status, run_at = @runAt, last_http_status = @httpStatus,
       last_error = @error, lease_owner = NULL, lease_expires_at = NULL, finished_at = @finishedAt, updated_at = @now
     WHERE id = @id RETURNING *`,
    {
      id,
      now,
      status: outcome.retry ? 'pending' : 'failed',
      runAt: outcome.retry ? outcome.runAt : held.run_at,
      finishedAt: outcome.retry ? null : now,
      httpStatus: failure.httpStatus,
      error: clipError(failure.error),
    },
  );
  return row ? webhookDeliveryFromRow(row) : null;
}

export function list(db: SqliteDb, taskId: string, limit: number): WebhookDelivery[] {
  return db
    .all('SELECT * FROM webhook_deliveries WHERE task_id = ? ORDER BY created_at, id LIMIT ?', [taskId, limit])
    .map(webhookDeliveryFromRow);
}

export function nextDueAt(db: SqliteDb): number | null {
  const row = db.get(
    `SELECT min(t) AS t FROM (
       SELECT min(run_at) AS t FROM webhook_deliveries WHERE status = 'pending'
       UNION ALL
       SELECT min(lease_expires_at) AS t FROM webhook_deliveries WHERE status = 'sending')`,
  );
  return row?.t === null || row?.t === undefined ? null : Number(row.t);
}

export function countByStatus(db: SqliteDb): Record<WebhookDeliveryStatus, number> {
  return webhookCountsFrom(db.all('SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status'));
}
