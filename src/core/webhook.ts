import { randomBytes } from 'node:crypto';
import { TASK_END_STATUS } from './event.js';

/*
 * Task-finished callbacks (task option `callback_url`) as an outbox: one delivery row per end event,
 * written in the transaction that logs the event, then claimed and sent by one server.
 */

/** End events that are reported (a cancel or delete is the caller's own doing, so it is not). */
export const WEBHOOK_EVENT_TYPES = ['done', 'error'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * A delivery's lifecycle: `pending` (due at `runAt`, first try or after a backoff), `sending` (a
 * server holds its lease and is posting), then `delivered` (a 2xx answer) or `failed` (tries used
 * up, or a target that can never be reached). Enforced by a CHECK in both stores.
 */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'sending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

export interface WebhookDelivery {
  /** The Standard Webhooks message id (`webhook-id` header): stable across retries, so receivers can deduplicate. */
  id: string;
  taskId: string;
  userId: string;
  eventType: WebhookEventType;
  /** The task's callback_url when the event was logged. */
  url: string;
  status: WebhookDeliveryStatus;
  /** Tries started so far (a try whose sender died counts). */
  attempts: number;
  /** Earliest time (ms since epoch) the next try may start. */
  runAt: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  /** The HTTP status of the last answer, null when the last try got none (refused, timed out). */
  lastHttpStatus: number | null;
  lastError: string | null;
  /** When the event happened: the payload's `timestamp`. */
  createdAt: number;
  lastAttemptAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
}

/** How failed tries are retried (settings EARSHOT_WEBHOOK_MAX_ATTEMPTS and EARSHOT_WEBHOOK_BASE_DELAY_MS). */
export interface WebhookRetryPolicy {
  maxAttempts: number;
  /** Delay after the first failed try; doubled after each further one. */
  baseDelayMs: number;
}

/** How a try ended without a 2xx answer. `final`: retrying cannot help (a refused target, no secret). */
export interface WebhookFailure {
  httpStatus: number | null;
  error: string;
  final?: boolean;
}

/** One backoff never exceeds a day, whatever the settings: the doubling would otherwise overflow. */
const MAX_DELAY_MS = 24 * 3600 * 1000;

/** Delay before the try after failed try number `attempts` (1-based): base, 2 × base, 4 × base, … */
export function webhookRetryDelayMs(attempts: number, policy: WebhookRetryPolicy): number {
  return Math.min(MAX_DELAY_MS, policy.baseDelayMs * 2 ** Math.min(Math.max(attempts - 1, 0), 40));
}

/** The JSON body: the same bytes on every try, so a receiver sees one message however often it is sent. */
export interface WebhookPayload {
  type: `task.${(typeof TASK_END_STATUS)[WebhookEventType]}`;
  /** When the task ended (ISO 8601). */
  timestamp: string;
  id: string;
  status: (typeof TASK_END_STATUS)[WebhookEventType];
}

export function webhookPayload(d: Pick<WebhookDelivery, 'taskId' | 'eventType' | 'createdAt'>): WebhookPayload {
  const status = TASK_END_STATUS[d.eventType];
  return { type: `task.${status}`, timestamp: new Date(d.createdAt).toISOString(), id: d.taskId, status };
}

/**
 * A new signing secret in the Standard Webhooks format: `whsec_` and the base64 of 32 random bytes
 * (the specification asks for 24 to 64).
 */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
