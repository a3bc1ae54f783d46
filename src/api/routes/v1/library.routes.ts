import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { LibraryService } from '../../../services/library.service.js';
import { scopeOf } from '../../../services/task.service.js';
import type { ApiContext } from '../../context.js';
import { contentDisposition } from '../../media-range.js';
import { requireUser } from '../../plugins/auth.js';
import { errors, TaskIdParams } from '../../schemas/common.schema.js';
import {
  BulkDeleteResultSchema,
  BulkDeleteSchema,
  ExportSchema,
  PatchTaskSchema,
  TaskViewSchema,
} from '../../schemas/task.schema.js';
import { toTaskView } from '../../task-view.js';

export const EXPORT_FILE_NAME = 'earshot-transcripts.zip';

/** Managing a library of tasks: a title of one's own, bulk delete, and export of several transcripts. */
export function libraryRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const library = new LibraryService({ store: ctx.store, tasks: ctx.tasks, log: ctx.log });
  return async (app) => {
    app.patch(
      '/tasks/:id',
      {
        schema: {
          summary: "Rename a task (its title; the file name and transcript don't change)",
          description: 'A `title` of null or only blanks clears it (the list then shows the source file name).',
          params: TaskIdParams,
          body: PatchTaskSchema,
          response: { 200: TaskViewSchema, ...errors(400, 401, 404) },
        },
      },
      async (request) =>
        toTaskView(await library.setTitle(request.params.id, scopeOf(requireUser(request)), request.body.title)),
    );

    app.post(
      '/tasks/delete',
      {
        schema: {
          summary: 'Delete several tasks',
          description:
            'Each as `DELETE /v1/tasks/{id}` does it (running work stops; files, transcript and events go). ' +
            "Ids that are missing or another user's are listed in `not_found`; the others are deleted.",
          body: BulkDeleteSchema,
          response: { 200: BulkDeleteResultSchema, ...errors(400, 401) },
        },
      },
      async (request) => {
        const result = await library.remove(request.body.ids, scopeOf(requireUser(request)));
        return { deleted: result.deleted, not_found: result.notFound };
      },
    );

    app.post(
      '/tasks/export',
      {
        schema: {
          summary: 'Download several transcripts as one zip archive',
          description:
            `A streamed \`application/zip\` (\`${EXPORT_FILE_NAME}\`) with one file per succeeded task, named after its ` +
            'title (or source file), made safe and distinct (`name (2).srt`). Tasks not found or not finished are listed ' +
            'in a `SKIPPED.txt` entry; 409 not_ready when none can be exported.',
          body: ExportSchema,
          response: {
            200: Type.Unsafe<unknown>({ type: 'string', format: 'binary', description: 'The zip archive.' }),
            ...errors(400, 401, 409),
          },
        },
      },
      async (request, reply) => {
        const { ids, format } = request.body;
        const zip = await library.exportZip(ids, scopeOf(requireUser(request)), format);
        return reply
          .type('application/zip')
          .header('content-disposition', contentDisposition('attachment', EXPORT_FILE_NAME))
          .header('cache-control', 'no-store')
          .send(zip);
      },
    );
  };
}
