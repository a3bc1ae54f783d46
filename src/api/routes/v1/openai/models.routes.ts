import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ModelListSchema, ModelParams, ModelSchema, openAiErrors } from '../../../schemas/openai.schema.js';
import type { ModelCatalog } from './openai-models.js';

/** GET /v1/models and /v1/models/{model}: OpenAI's list and model objects. */
export function modelRoutes(models: ModelCatalog): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/models',
      {
        schema: {
          summary: 'Models this deployment serves (OpenAI-compatible)',
          description:
            'One per configured engine. OpenAI names such as whisper-1 are accepted as aliases but not listed.',
          response: { 200: ModelListSchema, ...openAiErrors(401) },
        },
      },
      async () => ({ object: 'list' as const, data: models.list() }),
    );

    app.get(
      '/models/:model',
      {
        schema: {
          summary: 'One model (OpenAI-compatible); aliases answer under the name asked for',
          params: ModelParams,
          response: { 200: ModelSchema, ...openAiErrors(401, 404) },
        },
      },
      async (request) => models.retrieve(request.params.model),
    );
  };
}
