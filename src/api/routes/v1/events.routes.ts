import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TaskEvent } from '../../../core/event.js';
import type { Task } from '../../../core/task.js';
import { scopeOf } from '../../../services/task.service.js';
import type { ApiContext } from '../../context.js';
import { matches } from '../../events/event-hub.js';
import { SseStream } from '../../events/sse-stream.js';
import { requireUser } from '../../plugins/auth.js';
import { errors, TaskIdParams } from '../../schemas/common.schema.js';
import { toTaskView } from '../../task-view.js';

const SseQuery = Type.Object({
  access_token: Type.Optional(
    Type.String({ description: 'The API token, for EventSource (which cannot send headers).' }),
  ),
  last_event_id: Type.Optional(Type.Integer({ minimum: 0, description: 'Same as the Last-Event-ID header.' })),
});

const SSE_LIMITS = { maxBufferedBytes: 1 << 20, maxPending: 10_000 };
const REPLAY_BATCH = 500;

function lastEventId(request: FastifyRequest, fromQuery: number | undefined): number | null {
  const header = request.headers['last-event-id'];
  const raw = typeof header === 'string' ? header.trim() : undefined;
  if (raw !== undefined && /^\d{1,15}$/.test(raw)) return Number(raw);
  return fromQuery ?? null;
}

/**
 * Server-Sent Events. Order of business on connect: subscribe to the hub (live events are held),
 * send the snapshot, replay what the client missed since Last-Event-ID from the store, then release
 * the held live events. Sequence numbers make the seam exact: nothing is lost between replay and
 * live, and nothing is sent twice.
 */
export function eventRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { store, hub, log } = ctx;

  async function stream(
    request: FastifyRequest,
    reply: FastifyReply,
    opts: { taskId: string | null; snapshot: () => Promise<Task[]>; lastId: number | null },
  ): Promise<void> {
    const user = requireUser(request);
    const userId = user.role === 'admin' ? null : user.id;
    let unsubscribe = (): void => {};
    const sse = new SseStream(reply.raw, userId, opts.taskId, SSE_LIMITS, () => unsubscribe());
    unsubscribe = hub.subscribe(sse); // throws 503 (before anything is written) when full
    reply.hijack();
    try {
      sse.open();
      const tasks = await opts.snapshot();
      const now = Date.now();
      sse.snapshot({ tasks: tasks.map((t) => toTaskView(t, now)) });
      if (opts.lastId !== null) {
        // A Last-Event-ID from the future (another server, a reset database) would mute the stream.
        let after = Math.min(opts.lastId, await store.latestEventSeq());
        sse.lastSeq = after;
        const filter = opts.taskId !== null ? { taskId: opts.taskId } : userId !== null ? { userId } : undefined;
        while (!sse.closed) {
          const events: TaskEvent[] = await store.readEvents(after, REPLAY_BATCH, filter);
          if (events.length === 0) break;
          const visible = events.filter((ev) => matches(sse, ev));
          for (const he of await hub.withTasks(visible, () => true)) sse.writeEvent(he);
          after = (events[events.length - 1] as TaskEvent).seq;
          if (events.length < REPLAY_BATCH) break;
          await sse.drained();
        }
      }
      sse.goLive();
    } catch (err) {
      log.warn({ err }, 'event stream failed while starting');
      sse.close();
    }
  }

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
      async (request, reply) => {
        const scope = scopeOf(requireUser(request));
        await stream(request, reply, {
          taskId: null,
          lastId: lastEventId(request, request.query.last_event_id),
          snapshot: async () => {
            const [processing, queued] = await Promise.all([
              store.list(scope, { status: 'processing', limit: 100, offset: 0 }),
              store.list(scope, { status: 'queued', limit: 100, offset: 0 }),
            ]);
            return [...processing.tasks, ...queued.tasks];
          },
        });
      },
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
      async (request, reply) => {
        const scope = scopeOf(requireUser(request));
        const task = await ctx.tasks.get(request.params.id, scope);
        await stream(request, reply, {
          taskId: task.id,
          lastId: lastEventId(request, request.query.last_event_id),
          snapshot: async () => {
            const current = await store.get(task.id, scope);
            return current === null ? [] : [current];
          },
        });
      },
    );
  };
}
