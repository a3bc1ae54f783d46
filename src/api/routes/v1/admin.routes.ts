import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ServiceUnavailableError } from '../../../core/errors/index.js';
import type { SupervisorView } from '../../../worker/supervisor.types.js';
import type { ApiContext } from '../../context.js';
import { requireAdmin } from '../../plugins/auth.js';
import { errors, Nullable } from '../../schemas/common.schema.js';

const WorkerSchema = Type.Object({
  id: Type.String(),
  pid: Nullable(Type.Integer()),
  state: Type.Union(
    (['starting', 'idle', 'busy', 'restarting', 'stopping', 'stopped'] as const).map((s) => Type.Literal(s)),
  ),
  task_ids: Type.Array(Type.String(), { description: 'Tasks the worker runs now, oldest first.' }),
  task_id: Nullable(Type.String({ description: 'The first of `task_ids` (null when idle).' })),
  restarts: Type.Integer(),
  started_at: Nullable(Type.String({ format: 'date-time' })),
  live_sessions: Type.Integer({ description: 'Live (/v1/realtime) sessions this worker runs.' }),
});
const WorkersSchema = Type.Object({ paused: Type.Boolean(), workers: Type.Array(WorkerSchema) });
const PausedSchema = Type.Object({ paused: Type.Boolean() });

/** Admin-only: the worker supervisor running in this process (503 when this server runs none). */
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
          summary: 'Worker processes: id, pid, state, current tasks, restarts',
          response: { 200: WorkersSchema, ...errors(401, 403, 503) },
        },
      },
      async () => {
        const s = supervisor();
        return {
          paused: s.paused,
          workers: s.workers().map((w) => ({
            id: w.id,
            pid: w.pid,
            state: w.state,
            task_ids: w.taskIds,
            task_id: w.taskIds[0] ?? null,
            restarts: w.restarts,
            started_at: w.startedAt === null ? null : new Date(w.startedAt).toISOString(),
            live_sessions: w.liveSessions ?? 0,
          })),
        };
      },
    );

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
