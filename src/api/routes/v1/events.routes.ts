import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from '../../context.js';
import { SseStream } from '../../events/sse-stream.js';
import { requireUser } from '../../plugins/auth.js';
import { errors, TaskIdParams } from '../../schemas/common.schema.js';

const SseQuery = Type.Object({
  access_token: Type.Optional(
    Type.String({ description: 'The API token, for EventSource (which cannot send headers).' }),
  ),
  last_event_id: Type.Optional(Type.Integer({ minimum: 0, description: 'Same as the Last-Event-ID header.' })),
});

const SSE_LIMITS = { maxBufferedBytes: 1 << 20, maxPending: 10_000 };

/** The Last-Event-ID header (EventSource's own reconnects), else `?last_event_id=` (a fresh EventSource). */
function lastEventId(request: FastifyRequest, fromQuery: number | undefined): number | null {
  const header = request.headers['last-event-id'];
  const raw = typeof header === 'string' ? header.trim() : undefined;
  if (raw !== undefined && /^\d{1,15}$/.test(raw)) return Number(raw);
  return fromQuery ?? null;
}

/** Server-Sent Events; the event-stream service does the work (snapshot, replay, live). */
export function eventRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const follow = (request: FastifyRequest, reply: FastifyReply, taskId: string | null, fromQuery?: number) =>
    ctx.streams.follow(new SseStream(reply, SSE_LIMITS), {
      user: requireUser(request),
      taskId,
      lastEventId: lastEventId(request, fromQuery),
    });

  return async (app) => {
    app.get(
      '/events',
      {
        config: { allowQueryToken: true },
        schema: {
          summary: "Server-Sent Events for all the caller's tasks (admins: all tasks)",
          description:
            'First a `snapshot` of the queued and processing tasks, then `progress`, `segment`, `done`, `error`, ' +
            '`cancelled` and `deleted` events with `id:` = event sequence number. Resume with Last-Event-ID.',
          querystring: SseQuery,
          produces: ['text/event-stream'],
          response: { 200: Type.String({ description: 'text/event-stream' }), ...errors(401, 503) },
        },
      },
      (request, reply) => follow(request, reply, null, request.query.last_event_id),
    );

    app.get(
      '/tasks/:id/events',
      {
        config: { allowQueryToken: true },
        schema: {
          summary: 'Server-Sent Events for one task',
          description: 'First a `snapshot` with this task, then its events. Resume with Last-Event-ID.',
          params: TaskIdParams,
          querystring: SseQuery,
          produces: ['text/event-stream'],
          response: { 200: Type.String({ description: 'text/event-stream' }), ...errors(401, 404, 503) },
        },
      },
      (request, reply) => follow(request, reply, request.params.id, request.query.last_event_id),
    );
  };
}
