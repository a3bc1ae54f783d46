import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from '../../../context.js';
import { installErrorHandler } from '../../../plugins/error-handler.js';
import { modelRoutes } from './models.routes.js';
import { openAiErrorBody } from './openai-errors.js';
import { ModelCatalog } from './openai-models.js';
import { transcriptionRoutes } from './transcriptions.routes.js';

/**
 * The OpenAI-compatible door: /v1/audio/* and /v1/models, answering in OpenAI's shapes (errors
 * included: an encapsulated error handler renders them, the rest of the API keeps its own). Auth is
 * the /v1 scope's: the same Bearer tokens.
 */
export function openAiRoutes(ctx: ApiContext): FastifyPluginAsync {
  const models = new ModelCatalog([ctx.config.engine], Math.floor(Date.now() / 1000));
  return async (scope) => {
    installErrorHandler(scope, openAiErrorBody);
    await scope.register(modelRoutes(models));
    await scope.register(transcriptionRoutes(ctx, models));
  };
}
