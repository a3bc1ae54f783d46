import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { NotFoundError, ServiceUnavailableError } from '../../../core/errors/index.js';
import type { WorkerRunState } from '../../../core/worker-registration.js';
import type { SupervisorView } from '../../../worker/supervisor.types.js';
import type { ApiContext } from '../../context.js';
import { requireAdmin } from '../../plugins/auth.js';
import { errors } from '../../schemas/common.schema.js';
import { RegisteredWorkerSchema, WorkerIdParams, WorkersResponseSchema } from '../../schemas/worker.schema.js';
import { registeredWorkerView, supervisedWorkerView } from '../../worker-view.js';

const PausedSchema = Type.Object({ paused: Type.Boolean() });

/**
 * The registry is bounded by the prune (rows of dead workers go after WORKER_PRUNE_LEASES leases),
 * so this cap only guards the response against a misbehaving deployment.
 */
const MAX_LISTED_WORKERS = 1000;

/**
 * Admin-only. The worker list comes from the worker registry (every host sharing the store); pause
 * and resume act on the supervisor running in this process (503 when this server runs none).
 */
export function adminRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const supervisor = (): SupervisorView => {
    if (ctx.supervisor === undefined) throw new ServiceUnavailableError('this server does not supervise workers');
    return ctx.supervisor;
  };
  return async (app) => {
    app.addHook('preHandler', requireAdmin);

    app.get(
      '/workers',
      {
        schema: {
          summary: 'Every registered worker (all hosts), stale or not, and this server’s own worker processes',
          response: { 200: WorkersResponseSchema, ...errors(401, 403) },
        },
      },
      async () => {
        const supervised = ctx.supervisor?.workers() ?? [];
        const ours = new Set(supervised.flatMap((w) => (w.workerId === undefined ? [] : [w.workerId])));
        const now = Date.now();
        const rows = await ctx.store.listWorkers(MAX_LISTED_WORKERS);
        return {
          paused: ctx.supervisor?.paused ?? null,
          lease_ms: ctx.config.leaseMs,
          workers: rows.map((w) => registeredWorkerView(w, now, ours.has(w.id))),
          supervised: supervised.map(supervisedWorkerView),
        };
      },
    );

    const setState = (state: WorkerRunState, summary: string) =>
      app.post(
        `/workers/:id/${state === 'draining' ? 'drain' : 'undrain'}`,
        {
          schema: {
            summary,
            params: WorkerIdParams,
            response: { 200: RegisteredWorkerSchema, ...errors(401, 403, 404) },
          },
        },
        async (request) => {
          const row = await ctx.store.setWorkerState(request.params.id, state);
          if (row === null) throw new NotFoundError('worker');
          const ours = ctx.supervisor?.workers().some((w) => w.workerId === row.id) ?? false;
          return registeredWorkerView(row, Date.now(), ours);
        },
      );
    setState(
      'draining',
      'Drain a worker: at its next heartbeat it stops claiming, finishes its current tasks, then exits',
    );
    setState('running', 'Lift a drain the worker has not finished yet: it claims tasks again');

    app.post(
      '/pause',
      {
        schema: {
          summary: 'Stop claiming new tasks (running ones finish)',
          response: { 200: PausedSchema, ...errors(401, 403, 503) },
        },
      },
      async () => {
        const s = supervisor();
        s.pause();
        return { paused: s.paused };
      },
    );

    app.post(
      '/resume',
      { schema: { summary: 'Resume claiming tasks', response: { 200: PausedSchema, ...errors(401, 403, 503) } } },
      async () => {
        const s = supervisor();
        s.resume();
        return { paused: s.paused };
      },
    );
  };
}
