import type { SwaggerOptions } from '@fastify/swagger';
import { TranscriptionMultipartSchema } from '../schemas/openai.schema.js';
import { CreateTaskMultipartSchema } from '../schemas/task.schema.js';

const AUDIO_PART = { file: { contentType: 'audio/*, video/*, application/octet-stream' } };

/** Multipart forms parsed as streams, not validated as bodies: Fastify has no schema for them. */
const MULTIPART_FORMS: Record<string, unknown> = {
  '/v1/tasks': CreateTaskMultipartSchema,
  '/v1/audio/transcriptions': TranscriptionMultipartSchema,
};

/**
 * The OpenAPI document is generated from the route schemas (the same ones that validate requests).
 * Only the multipart forms (MULTIPART_FORMS) are added by hand.
 */
export function openApiOptions(): SwaggerOptions {
  return {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Earshot API',
        version: '1',
        description: 'Self-hosted transcription: create tasks, follow progress, fetch transcripts.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transformObject: (doc) => {
      if (!('openapiObject' in doc)) return doc.swaggerObject;
      const spec = doc.openapiObject;
      for (const [route, schema] of Object.entries(MULTIPART_FORMS)) {
        const post = spec.paths?.[route]?.post as
          | { requestBody?: { content?: Record<string, unknown>; required?: boolean } }
          | undefined;
        if (!post) continue;
        post.requestBody ??= { required: true, content: {} };
        post.requestBody.content ??= {};
        post.requestBody.content['multipart/form-data'] = { schema, encoding: AUDIO_PART };
      }
      return spec;
    },
  };
}
