import {
  newWebhookSecret,
  type WebhookDelivery,
  type WebhookDeliveryStatus,
  type WebhookFailure,
  type WebhookRetryPolicy,
} from '../../core/webhook.js';
import { webhookDeliveryFromRow } from '../task.rows.js';
import { clipError, WEBHOOK_SENDER_LOST, webhookCountsFrom, webhookFailureOutcome } from '../webhook.transitions.js';
import type { PgDb, PgQuery } from './postgres.db.js';

/**
 * The webhook outbox on PostgreSQL. Deliveries are inserted by the `events_webhook_outbox` trigger
 * (migration 4); these are the sender's transitions and the reads. Claims lock their rows with
 * `FOR UPDATE SKIP LOCKED`, so servers claiming at once each take different deliveries without
 * waiting for each other.
 */

const table = (db: PgDb): string => `${db.t.schema}.webhook_deliveries`;

/** Holder-only condition: $1 = delivery id, $2 = owner. */
const HELD = "id = $1 AND status = 'sending' AND lease_owner = $2";

/** Reads the secret, making one for a user created before secrets existed (first writer wins). */
export async function secret(db: PgDb, userId: string): Promise<string | null> {
  const row = await db.get(`SELECT webhook_secret FROM ${db.t.users} WHERE id = $1`, [userId]);
  if (!row) return null;
  if (typeof row.webhook_secret === 'string') return row.webhook_secret;
  const made = await db.get(
    `UPDATE ${db.t.users} SET webhook_secret = coalesce(webhook_secret, $2) WHERE id = $1 RETURNING webhook_secret`,
    [userId, newWebhookSecret()],
  );
  return typeof made?.webhook_secret === 'string' ? made.webhook_secret : null;
}

export async function rotate(db: PgDb, userId: string): Promise<string | null> {
  const row = await db.get(`UPDATE ${db.t.users} SET webhook_secret = $2 WHERE id = $1 RETURNING webhook_secret`, [
    userId,
    newWebhookSecret(),
  ]);
  return typeof row?.webhook_secret === 'string' ? row.webhook_secret : null;
}

export async function claim(
  db: PgDb,
  q: PgQuery,
  owner: string,
  leaseMs: number,
  limit: number,
  policy: WebhookRetryPolicy,
  now: number,
): Promise<WebhookDelivery[]> {
  const t = table(db);
  // Expired leases without tries left end here; SKIP LOCKED leaves rows another claimer holds to it.
  await q.run(
    `UPDATE ${t} SET status = 'failed', last_error = $3, last_http_status = NULL, lease_owner = NULL,
       lease_expires_at = NULL, finished_at = $1, updated_at = $1
     WHERE id IN (SELECT id FROM ${t} WHERE status = 'sending' AND lease_expires_at < $1 AND attempts >= $2
                  FOR UPDATE SKIP LOCKED)`,
    [now, policy.maxAttempts, WEBHOOK_SENDER_LOST],
  );
  const rows = await q.all(
    `WITH due AS (
       SELECT id FROM ${t}
       WHERE (status = 'pending' AND run_at <= $1) OR (status = 'sending' AND lease_expires_at < $1)
       ORDER BY run_at, id LIMIT $4
       FOR UPDATE SKIP LOCKED)
     UPDATE ${t} d SET status = 'sending', attempts = d.attempts + 1, lease_owner = $2, lease_expires_at = $3,
       last_attempt_at = $1, updated_at = $1
     FROM due WHERE d.id = due.id
     RETURNING d.*`,
    [now, owner, now + leaseMs, limit],
  );
  return rows.map(webhookDeliveryFromRow).sort((a, b) => a.runAt - b.runAt || a.id.localeCompare(b.id));
}

export async function complete(
  db: PgDb,
  id: string,
  owner: string,
  httpStatus: number,
  now: number,
): Promise<WebhookDelivery | null> {
  const row = await db.get(
    `UPDATE ${table(db)} SET status = 'delivered', last_http_status = $3, last_error = NULL, lease_owner = NULL,
       lease_expires_at = NULL, finished_at = $4, updated_at = $4
     WHERE ${HELD} RETURNING *`,
    [id, owner, httpStatus, now],
  );
  return row ? webhookDeliveryFromRow(row) : null;
}

/** Locks the held row first: the outcome depends on its attempts. */
export async function fail(
  db: PgDb,
  q: PgQuery,
  id: string,
  owner: string,
  failure: WebhookFailure,
  policy: WebhookRetryPolicy,
  now: number,
): Promise<WebhookDelivery | null> {
  const held = await q.get(`SELECT * FROM ${table(db)} WHERE ${HELD} FOR UPDATE`, [id, owner]);
  if (!held) return null;
  const delivery = webhookDeliveryFromRow(held);
  const outcome = webhookFailureOutcome(delivery, failure, policy, now);
  const row = await q.get(
    `UPDATE ${table(db)} SET status = $2, run_at = $3, last_http_status = $4, last_error = $5, lease_owner = NULL,
       lease_expires_at = NULL, finished_at = $6, updated_at = $7
     WHERE id = $1 RETURNING *`,
    [
      id,
      outcome.retry ? 'pending' : 'failed',
      outcome.retry ? outcome.runAt : delivery.runAt,
      failure.httpStatus,
      clipError(failure.error),
      outcome.retry ? null : now,
      now,
    ],
  );
  return row ? webhookDeliveryFromRow(row) : null;
}

export async function list(db: PgDb, taskId: string, limit: number): Promise<WebhookDelivery[]> {
  const rows = await db.all(`SELECT * FROM ${table(db)} WHERE task_id = $1 ORDER BY created_at, id LIMIT $2`, [
    taskId,
    limit,
  ]);
  return rows.map(webhookDeliveryFromRow);
}

export async function nextDueAt(db: PgDb): Promise<number | null> {
  const t = table(db);
  const row = await db.get(
    `SELECT least((SELECT min(run_at) FROM ${t} WHERE status = 'pending'),
                  (SELECT min(lease_expires_at) FROM ${t} WHERE status = 'sending')) AS t`,
  );
  return row?.t === null || row?.t === undefined ? null : Number(row.t);
}

export async function countByStatus(db: PgDb): Promise<Record<WebhookDeliveryStatus, number>> {
  return webhookCountsFrom(await db.all(`SELECT status, count(*) AS n FROM ${table(db)} GROUP BY status`));
}
