import { type Static, Type } from '@sinclair/typebox';
import { TASK_END_STATUS } from '../../core/event.js';
import { WEBHOOK_DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES } from '../../core/webhook.js';
import { Nullable } from './common.schema.js';

export const WebhookDeliverySchema = Type.Object(
  {
    id: Type.String({ description: 'The `webhook-id` header of every try: the same across retries.' }),
    task_id: Type.String(),
    type: Type.Union(
      WEBHOOK_EVENT_TYPES.map((t) => Type.Literal(`task.${TASK_END_STATUS[t]}`)),
      { description: 'The event, as in the body.' },
    ),
    url: Type.String({ description: "The task's callback_url when the event happened." }),
    status: Type.Union(
      WEBHOOK_DELIVERY_STATUSES.map((s) => Type.Literal(s)),
      {
        description:
          '`pending`: due at `next_attempt_at` (first try, or waiting out a backoff); `sending`: a try is in flight; `delivered`: a 2xx answer; `failed`: tries used up, or a target that is refused.',
      },
    ),
    attempts: Type.Integer({ description: 'Tries started so far.' }),
    max_attempts: Type.Integer(),
    last_http_status: Nullable(Type.Integer({ description: "The last try's answer; null when it got none." })),
    last_error: Nullable(Type.String({ description: 'Why the last try failed (null once delivered).' })),
    created_at: Type.String({ format: 'date-time', description: 'When the task ended (the body’s `timestamp`).' }),
    last_attempt_at: Nullable(Type.String({ format: 'date-time' })),
    next_attempt_at: Nullable(Type.String({ format: 'date-time', description: 'While pending.' })),
    finished_at: Nullable(Type.String({ format: 'date-time', description: 'When it was delivered or failed.' })),
  },
  { description: 'One task-finished callback and how its tries went.' },
);
export type WebhookDeliveryView = Static<typeof WebhookDeliverySchema>;

export const WebhookDeliveryListSchema = Type.Object({
  deliveries: Type.Array(WebhookDeliverySchema, { description: 'Oldest first (at most 100).' }),
});

export const WebhookSecretSchema = Type.Object({
  secret: Type.String({
    description:
      'The Standard Webhooks signing secret of your callbacks: `whsec_` and base64 of 32 random bytes. Keep it private.',
  }),
});
