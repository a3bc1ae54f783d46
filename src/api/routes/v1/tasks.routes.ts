import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { InvalidRequestError, UnsupportedMediaTypeError } from '../../../core/errors/index.js';
import type { Task } from '../../../core/task.js';
import { scopeOf } from '../../../services/task.service.js';
import { clientGone } from '../../client-gone.js';
import type { ApiContext } from '../../context.js';
import { requireUser } from '../../plugins/auth.js';
import { drainRefusedUpload } from '../../refused-upload.js';
import { ErrorResponse, errors, isSet, TaskIdParams } from '../../schemas/common.schema.js';
import {
  type CreateTaskJson,
  CreateTaskJsonSchema,
  CreateTaskQuerySchema,
  ListTasksQuerySchema,
  TaskListSchema,
  TaskViewSchema,
  WaitResultSchema,
} from '../../schemas/task.schema.js';
import { toTaskView } from '../../task-view.js';
import { optionsFromFields } from './multipart-fields.js';

export function taskRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { tasks, waits } = ctx;

  async function create(request: FastifyRequest, signal: AbortSignal): Promise<Task> {
    const user = requireUser(request);
    if (request.isMultipart()) {
      const part = await request.file().catch((err: unknown) => {
        // Busboy's parse errors carry no status: the body is malformed, which is the client's doing.
        if (typeof (err as { statusCode?: unknown }).statusCode === 'number') throw err;
        throw new InvalidRequestError(`malformed multipart body: ${(err as Error).message}`);
      });
      if (part === undefined) throw new InvalidRequestError('the multipart body has no file part');
      if (part.fieldname !== 'file')
        throw new InvalidRequestError(`the file part must be named "file", not "${part.fieldname}"`);
      try {
        const input = optionsFromFields(part.fields, part.fieldname);
        return await tasks.create(user, { kind: 'upload', stream: part.file, filename: part.filename }, input, signal);
      } catch (err) {
        await drainRefusedUpload(part.file, request.raw);
        throw err;
      }
    }
    if (request.headers['content-type']?.toLowerCase().startsWith('application/json')) {
      const { url, ...input } = request.body as CreateTaskJson;
      return tasks.create(user, { kind: 'url', url }, input, signal);
    }
    throw new UnsupportedMediaTypeError();
  }

  return async (app) => {
    app.post(
      '/tasks',
      {
        schema: {
          summary: 'Create a task',
          description:
            'Upload a recording as multipart/form-data (option fields first, then the `file` part) or send JSON with a `url` to fetch. ' +
            'With `?wait=true`, small inputs are transcribed before the response (200 {task, transcript}).',
          querystring: CreateTaskQuerySchema,
          body: { content: { 'application/json': { schema: CreateTaskJsonSchema } } },
          response: {
            200: WaitResultSchema,
            202: TaskViewSchema,
            ...errors(400, 401, 413, 415, 422, 429, 502),
          },
        },
      },
      async (request, reply) => {
        const signal = clientGone(reply);
        const task = await create(request, signal);
        if (!isSet(request.query.wait)) return reply.status(202).send(toTaskView(task));
        const result = await waits.untilEnd(task, signal);
        if (!result.ended) return reply.status(202).send(toTaskView(result.task));
        return reply.status(200).send({ task: toTaskView(result.task), transcript: result.transcript });
      },
    );

    app.get(
      '/tasks',
      {
        schema: {
          summary: "List the caller's tasks (admins: all), newest first unless sorted otherwise",
          description:
            '`q` matches the title or source file name; `from`/`to` bound the creation time. `total` counts the tasks ' +
            'matching every filter; `counts` those matching q, from and to, by status (the status filter aside).',
          querystring: ListTasksQuerySchema,
          response: { 200: TaskListSchema, ...errors(400, 401) },
        },
      },
      async (request) => {
        const { status, limit, offset, q, from, to, sort, order } = request.query;
        const page = await tasks.list(scopeOf(requireUser(request)), {
          ...(status === undefined ? {} : { status }),
          limit,
          offset,
          // Blanks around the words typed in a search box are never meant to match.
          ...(q === undefined || q.trim() === '' ? {} : { q: q.trim() }),
          ...(from === undefined ? {} : { createdFrom: instant(from, 'from') }),
          ...(to === undefined ? {} : { createdBefore: instant(to, 'to') }),
          sort,
          order,
        });
        const now = Date.now();
        return { tasks: page.tasks.map((t) => toTaskView(t, now)), total: page.total, counts: page.counts };
      },
    );

    app.get(
      '/tasks/:id',
      {
        schema: {
          summary: 'One task (a small row; never loads the transcript)',
          params: TaskIdParams,
          response: { 200: TaskViewSchema, ...errors(401, 404) },
        },
      },
      async (request) => toTaskView(await tasks.get(request.params.id, scopeOf(requireUser(request)))),
    );

    app.post(
      '/tasks/:id/cancel',
      {
        schema: {
          summary: 'Cancel a queued or running task',
          params: TaskIdParams,
          response: { 200: TaskViewSchema, ...errors(401, 404, 409) },
        },
      },
      async (request) => toTaskView(await tasks.cancel(request.params.id, scopeOf(requireUser(request)))),
    );

    app.post(
      '/tasks/:id/retry',
      {
        schema: {
          summary: 'Re-queue a failed or cancelled task',
          params: TaskIdParams,
          response: { 200: TaskViewSchema, ...errors(401, 404, 409) },
        },
      },
      async (request) => toTaskView(await tasks.retry(request.params.id, scopeOf(requireUser(request)))),
    );

    app.delete(
      '/tasks/:id',
      {
        schema: {
          summary: 'Delete a task, its files, checkpoints and transcript',
          params: TaskIdParams,
          response: { 204: Type.Null({ description: 'Deleted.' }), 401: ErrorResponse, 404: ErrorResponse },
        },
      },
      async (request, reply) => {
        await tasks.remove(request.params.id, scopeOf(requireUser(request)));
        return reply.status(204).send(null);
      },
    );
  };
}

/** A schema-checked ISO date or date-time as ms since epoch; a pattern-valid but impossible date is a 400. */
function instant(value: string, name: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidRequestError(`${name}: not a valid date`);
  return ms;
}
