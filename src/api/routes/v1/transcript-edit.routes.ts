import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { parseEditOps } from '../../../core/transcript-edit.js';
import type { RevisedTranscript, TranscriptHistory } from '../../../core/transcript-revision.js';
import { contentTypeFor, renderTranscript } from '../../../formats/index.js';
import { scopeOf } from '../../../services/task.service.js';
import {
  editTranscript,
  expectedRevision,
  revertTranscript,
  revisionEtag,
  transcriptHistory,
} from '../../../services/transcript-edit.service.js';
import type { ApiContext } from '../../context.js';
import { requireUser } from '../../plugins/auth.js';
import { errors, TaskIdParams } from '../../schemas/common.schema.js';
import {
  IfMatchHeaders,
  TranscriptEditBodySchema,
  TranscriptRevertBodySchema,
  TranscriptRevisionsSchema,
  type TranscriptRevisionsView,
} from '../../schemas/transcript-edit.schema.js';

const TranscriptJson = Type.String({ description: 'The new revision, as GET /transcript gives json.' });

/** Editing a succeeded task's transcript: PATCH operations, revert, and the revision history. */
export function transcriptEditRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { store } = ctx;
  return async (app) => {
    app.patch(
      '/tasks/:id/transcript',
      {
        schema: {
          summary: 'Edit the transcript: a new revision from a list of operations',
          description:
            'Operations apply in order, each to the result of the one before, all or none (400 invalid_edit names ' +
            'the first bad one). With `If-Match: "r<N>"`, 412 precondition_failed unless revision N is still the ' +
            'newest. 409 not_ready until the task succeeded. Answers the new revision as json, with its ETag; with ' +
            '`Prefer: return=minimal`, 204 and the ETag only (a client that holds the revision it edited applies ' +
            'the same operations itself, as the web UI does).',
          params: TaskIdParams,
          headers: IfMatchHeaders,
          body: TranscriptEditBodySchema,
          response: { 200: TranscriptJson, 204: NoBody, ...errors(400, 401, 404, 409, 412) },
        },
      },
      async (request, reply) => {
        const user = requireUser(request);
        const expected = expectedRevision(request.headers['if-match']);
        const operations = parseEditOps(request.body.operations);
        const revised = await editTranscript(store, user, request.params.id, expected, operations);
        return sendRevision(reply, revised, prefersMinimal(request.headers.prefer));
      },
    );

    app.post(
      '/tasks/:id/transcript/revert',
      {
        schema: {
          summary: 'Make an older revision the newest again (as a new revision)',
          description: '404 when the revision does not exist; If-Match and Prefer as for PATCH.',
          params: TaskIdParams,
          headers: IfMatchHeaders,
          body: TranscriptRevertBodySchema,
          response: { 200: TranscriptJson, 204: NoBody, ...errors(400, 401, 404, 409, 412) },
        },
      },
      async (request, reply) => {
        const user = requireUser(request);
        const expected = expectedRevision(request.headers['if-match']);
        const revised = await revertTranscript(store, user, request.params.id, expected, request.body.revision);
        return sendRevision(reply, revised, prefersMinimal(request.headers.prefer));
      },
    );

    app.get(
      '/tasks/:id/transcript/revisions',
      {
        schema: {
          summary: "The transcript's revision history, oldest first (at most the newest 1000)",
          params: TaskIdParams,
          response: { 200: TranscriptRevisionsSchema, ...errors(401, 404, 409) },
        },
      },
      async (request): Promise<TranscriptRevisionsView> => {
        const task = await ctx.tasks.get(request.params.id, scopeOf(requireUser(request)));
        return historyView(await transcriptHistory(store, task));
      },
    );
  };
}

const NoBody = Type.Null({ description: 'With `Prefer: return=minimal`: the new revision is in the ETag only.' });

/**
 * Whether a Prefer header (RFC 7240) asks for `return=minimal`. For an hour of speech the full
 * answer is ~1 MB per saved word, which a client that holds the revision it edited does not need.
 */
export function prefersMinimal(prefer: string | string[] | undefined): boolean {
  const values = Array.isArray(prefer) ? prefer : prefer === undefined ? [] : [prefer];
  return values.some((v) =>
    v.split(',').some((p) => /^return\s*=\s*"?minimal"?$/i.test(p.split(';')[0]?.trim() ?? '')),
  );
}

/**
 * The new revision as compact JSON: the same document GET gives, without the indentation, which for
 * an hour of speech costs more than the edit itself (tens of ms for ~1 MB) and is never read by a
 * person. `minimal`: 204 with the ETag only, and the JSON is never made unless the store needed it.
 */
function sendRevision(reply: FastifyReply, revised: RevisedTranscript, minimal: boolean): FastifyReply {
  reply.header('etag', revisionEtag(revised.revision));
  if (minimal) return reply.header('preference-applied', 'return=minimal').code(204).send();
  return reply
    .type(contentTypeFor('json'))
    .serializer((payload: unknown) => payload as string)
    .send(revised.json?.() ?? renderTranscript(revised.transcript, 'json', { pretty: false }));
}

function historyView(history: TranscriptHistory): TranscriptRevisionsView {
  return {
    current: history.current,
    revisions: history.revisions.map((r) => ({
      revision: r.revision,
      kind: r.kind,
      created_at: new Date(r.createdAt).toISOString(),
      user_id: r.userId,
      user_name: r.userName,
      operations: r.operations,
      reverted_to: r.revertedTo,
    })),
  };
}
