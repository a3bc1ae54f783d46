import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { llmEnabled } from '../../../config/config.js';
import { ARTIFACT_KINDS } from '../../../core/artifact.js';
import { OUTPUT_FORMATS } from '../../../core/transcript.js';
import { languageSupport } from '../../../engines/engine-languages.js';
import type { ApiContext } from '../../context.js';
import { ArtifactKindSchema } from '../../schemas/artifact.schema.js';
import { errors, Nullable } from '../../schemas/common.schema.js';
import { MaxChunkSecondsSchema, OutputFormatSchema } from '../../schemas/task.schema.js';

const CapabilitiesSchema = Type.Object(
  {
    engine: Type.String({ description: 'The configured speech engine.' }),
    languages: Nullable(
      Type.Array(Type.String(), {
        description: 'Language codes the engine recognises; null when it takes any code (it decides itself).',
      }),
    ),
    default_language: Type.String({ description: 'Used when a task names no language.' }),
    formats: Type.Array(OutputFormatSchema),
    max_upload_bytes: Type.Integer(),
    max_chunk_seconds: Type.Object({ default: Type.Number(), min: Type.Number(), max: Type.Number() }),
    postprocessing: Type.Array(ArtifactKindSchema, {
      description:
        'LLM post-processing this server offers (`summary`, `polish`); empty when no LLM server is configured (EARSHOT_LLM_BASE_URL).',
    }),
  },
  { description: 'What this deployment can do, so clients offer only that.' },
);

/** GET /v1/capabilities: fixed at boot from the configuration, so it is built once. */
export function capabilityRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { config } = ctx;
  const body = {
    engine: config.engine,
    languages: languageSupport(config).offered?.slice() ?? null,
    default_language: config.language,
    formats: [...OUTPUT_FORMATS],
    max_upload_bytes: config.maxUploadBytes,
    max_chunk_seconds: {
      default: config.maxChunkSeconds,
      min: MaxChunkSecondsSchema.minimum ?? 0,
      max: MaxChunkSecondsSchema.maximum ?? config.maxChunkSeconds,
    },
    postprocessing: llmEnabled(config) ? [...ARTIFACT_KINDS] : [],
  };
  return async (app) => {
    app.get(
      '/capabilities',
      {
        schema: {
          summary: 'Engine, languages, formats and limits of this deployment',
          response: { 200: CapabilitiesSchema, ...errors(401) },
        },
      },
      async () => body,
    );
  };
}
