import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { scopeOf } from '../../../services/task.service.js';
import type { ApiContext } from '../../context.js';
import { requireUser } from '../../plugins/auth.js';
import { errors, TaskIdParams } from '../../schemas/common.schema.js';
import { WebhookDeliveryListSchema, WebhookSecretSchema } from '../../schemas/webhook.schema.js';
import { toWebhookDeliveryView } from '../../webhook-view.js';

/** A task's callback delivery log, and the caller's signing secret. */
export function webhookRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { webhooks } = ctx;
  return async (app) => {
    app.get(
      '/tasks/:id/webhooks',
      {
        schema: {
          summary: "The task's callback deliveries",
          description:
            'One delivery per end of the task (`done` or `error`) while it had a `callback_url`, with its tries: status, attempts, the last HTTP status or error.',
          params: TaskIdParams,
          response: { 200: WebhookDeliveryListSchema, ...errors(401, 404) },
        },
      },
      async (request) => {
        const deliveries = await webhooks.deliveries(request.params.id, scopeOf(requireUser(request)));
        return { deliveries: deliveries.map((d) => toWebhookDeliveryView(d, webhooks.maxAttempts)) };
      },
    );

    app.get(
      '/webhooks/secret',
      {
        schema: {
          summary: 'Your webhook signing secret',
          description:
            'Callbacks of your tasks are signed with it as Standard Webhooks specifies (`webhook-id`, `webhook-timestamp`, `webhook-signature` headers); verify them with any Standard Webhooks library.',
          response: { 200: WebhookSecretSchema, ...errors(401) },
        },
      },
      async (request) => ({ secret: await webhooks.secret(requireUser(request)) }),
    );

    app.post(
      '/webhooks/secret/rotate',
      {
        schema: {
          summary: 'Replace your webhook signing secret',
          description: 'Tries from now on are signed with the new secret, retries of earlier callbacks included.',
          response: { 200: WebhookSecretSchema, ...errors(401) },
        },
      },
      async (request) => ({ secret: await webhooks.rotate(requireUser(request)) }),
    );
  };
}
