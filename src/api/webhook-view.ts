import { type WebhookDelivery, webhookPayload } from '../core/webhook.js';
import type { WebhookDeliveryView } from './schemas/webhook.schema.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The public shape of a delivery, from its row. */
export function toWebhookDeliveryView(d: WebhookDelivery, maxAttempts: number): WebhookDeliveryView {
  return {
    id: d.id,
    task_id: d.taskId,
    type: webhookPayload(d).type,
    url: d.url,
    status: d.status,
    attempts: d.attempts,
    max_attempts: maxAttempts,
    last_http_status: d.lastHttpStatus,
    last_error: d.lastError,
    created_at: new Date(d.createdAt).toISOString(),
    last_attempt_at: iso(d.lastAttemptAt),
    next_attempt_at: d.status === 'pending' ? iso(d.runAt) : null,
    finished_at: iso(d.finishedAt),
  };
}
