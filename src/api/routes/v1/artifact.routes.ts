import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ARTIFACT_KINDS, type Artifact, type ArtifactKind } from '../../../core/artifact.js';
import { scopeOf } from '../../../services/task.service.js';
import { toArtifactView } from '../../artifact-view.js';
import type { ApiContext } from '../../context.js';
import { requireUser } from '../../plugins/auth.js';
import { ArtifactViewSchema } from '../../schemas/artifact.schema.js';
import { errors, TaskIdParams } from '../../schemas/common.schema.js';

const WHAT: Record<ArtifactKind, string> = {
  summary: 'a summary with key points',
  polish: 'a polished transcript (casing, punctuation, fillers removed; same segments and timings)',
};

/** POST/GET /tasks/:id/summary and /tasks/:id/polish: LLM post-processing of a finished transcript. */
export function artifactRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { artifacts } = ctx;
  return async (app) => {
    for (const kind of ARTIFACT_KINDS) {
      app.post(
        `/tasks/:id/${kind}`,
        {
          schema: {
            summary: `Ask for ${kind === 'summary' ? 'a summary' : 'a polish'} of a succeeded task`,
            description:
              `Queues ${WHAT[kind]} made by the configured LLM server. Repeating the request is harmless; a failed one is queued again. ` +
              '409 not_ready until the task succeeded; 422 llm_not_configured when the server has no LLM.',
            params: TaskIdParams,
            response: { 202: ArtifactViewSchema, ...errors(401, 404, 409, 422) },
          },
        },
        async (request, reply) => {
          const artifact = await artifacts.request(request.params.id, kind, scopeOf(requireUser(request)));
          return reply.status(202).send(toArtifactView(artifact));
        },
      );

      app.get(
        `/tasks/:id/${kind}`,
        {
          schema: {
            summary: `Status of the task's ${kind}${kind === 'summary' ? ', and the summary once done' : ''}`,
            description:
              kind === 'summary'
                ? '404 when no summary was requested.'
                : '404 when no polish was requested. The polished text itself: GET /v1/tasks/:id/transcript?variant=polished.',
            params: TaskIdParams,
            response: { 200: ArtifactViewSchema, ...errors(401, 404) },
          },
        },
        async (request) => {
          const artifact = await artifacts.get(request.params.id, kind, scopeOf(requireUser(request)));
          const summary =
            kind === 'summary' ? await artifacts.result(artifact as Artifact & { kind: 'summary' }) : null;
          return toArtifactView(artifact, summary);
        },
      );
    }
  };
}
