import type { SwaggerOptions } from '@fastify/swagger';
import { CreateTaskMultipartSchema } from '../schemas/task.schema.js';

/**
 * The OpenAPI document is generated from the route schemas (the same ones that validate requests).
 * Only the multipart form of POST /v1/tasks is added by hand: it is parsed as a stream, not
 * validated as a body, so Fastify has no schema for it.
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
      const post = spec.paths?.['/v1/tasks']?.post as
        | { requestBody?: { content?: Record<string, unknown>; required?: boolean } }
        | undefined;
      if (post) {
        post.requestBody ??= { required: true, content: {} };
        post.requestBody.content ??= {};
        post.requestBody.content['multipart/form-data'] = {
          schema: CreateTaskMultipartSchema,
          encoding: { file: { contentType: 'audio/*, video/*, application/octet-stream' } },
        };
      }
      return spec;
    },
  };
}
