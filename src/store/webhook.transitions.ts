import {
  WEBHOOK_DELIVERY_STATUSES,
  type WebhookDelivery,
  type WebhookDeliveryStatus,
  type WebhookFailure,
  type WebhookRetryPolicy,
  webhookRetryDelayMs,
} from '../core/webhook.js';

/**
 * Webhook delivery decisions both adapters share, so SQLite and PostgreSQL cannot drift apart on
 * what a failed try means; the adapters only differ in how they make it atomic.
 */

/** What an expired lease records: the server sending it died or hung mid-try. */
export const WEBHOOK_SENDER_LOST = 'the server sending it stopped before the receiver answered';

/** Longest last_error kept: a receiver's error text is not ours to store in full. */
const MAX_ERROR_CHARS = 500;

export function clipError(message: string): string {
  return message.length <= MAX_ERROR_CHARS ? message : `${message.slice(0, MAX_ERROR_CHARS - 1)}…`;
}

/**
 * What a failed try leads to: `pending` again after a backoff while tries remain (`attempts`
 * already counts the try that failed) and the failure is not final, otherwise `failed`.
 */
export function webhookFailureOutcome(
  delivery: Pick<WebhookDelivery, 'attempts'>,
  failure: Pick<WebhookFailure, 'final'>,
  policy: WebhookRetryPolicy,
  now: number,
): { retry: true; runAt: number } | { retry: false } {
  if (failure.final !== true && delivery.attempts < policy.maxAttempts) {
    return { retry: true, runAt: now + webhookRetryDelayMs(delivery.attempts, policy) };
  }
  return { retry: false };
}

/** Counts with every status present, from `status, n` rows. */
export function webhookCountsFrom(rows: readonly Record<string, unknown>[]): Record<WebhookDeliveryStatus, number> {
  const counts = Object.fromEntries(WEBHOOK_DELIVERY_STATUSES.map((s) => [s, 0])) as Record<
    WebhookDeliveryStatus,
    number
  >;
  for (const r of rows) counts[r.status as WebhookDeliveryStatus] = Number(r.n);
  return counts;
}
