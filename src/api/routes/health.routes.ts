import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiContext } from '../context.js';
import { errors } from '../schemas/common.schema.js';

const READY_TIMEOUT_MS = 2_000;
const StatusSchema = Type.Object({ status: Type.String() });
const HealthSchema = Type.Object({
  status: Type.String(),
  auth: Type.Union([Type.Literal('token'), Type.Literal('none')], {
    description:
      'Whether requests need a token; the web UI asks here instead of probing with a request that would 401.',
  }),
});

/** Unauthenticated operational endpoints. */
export function healthRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/health',
      {
        schema: {
          summary: 'Liveness (never touches the store)',
          security: [],
          response: { 200: HealthSchema },
        },
      },
      async () => ({ status: 'ok', auth: ctx.config.auth }),
    );

    app.get(
      '/ready',
      {
        schema: {
          summary: 'Readiness: the store answers and the server is not shutting down',
          security: [],
          response: { 200: StatusSchema, ...errors(503) },
        },
      },
      async (_request, reply) => {
        if (ctx.state.shuttingDown) {
          return reply.status(503).send({ error: { code: 'unavailable', message: 'shutting down' } });
        }
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            ctx.store.queuedCount(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error('store check timed out')), READY_TIMEOUT_MS);
            }),
          ]);
        } catch (err) {
          ctx.log.warn({ err }, 'readiness check failed');
          return reply.status(503).send({ error: { code: 'unavailable', message: 'the task store is not reachable' } });
        } finally {
          clearTimeout(timer);
        }
        return { status: 'ready' };
      },
    );

    app.get(
      '/metrics',
      { schema: { summary: 'Prometheus metrics', security: [], produces: ['text/plain'], hide: false } },
      async (_request, reply) => {
        const body = await ctx.metrics.registry.metrics();
        return reply.type(ctx.metrics.registry.contentType).send(body);
      },
    );
  };
}
