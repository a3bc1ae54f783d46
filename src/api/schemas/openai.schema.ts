import { Type } from '@sinclair/typebox';
import { RESPONSE_FORMATS, TIMESTAMP_GRANULARITIES } from '../routes/v1/openai/openai-formats.js';
import { OPENAI_MODEL_ALIASES } from '../routes/v1/openai/openai-models.js';
import { Nullable } from './common.schema.js';

/*
 * Schemas of the OpenAI-compatible routes (/v1/audio/*, /v1/models), for the OpenAPI document:
 * OpenAI's own shapes, so they differ from the rest of the API on purpose (errors included).
 */

export const OpenAiErrorResponse = Type.Object(
  {
    error: Type.Object({
      message: Type.String(),
      type: Type.String({ description: 'invalid_request_error, requests (rate limits) or server_error.' }),
      param: Nullable(Type.String()),
      code: Nullable(Type.String()),
    }),
  },
  { description: "OpenAI's error shape (only on the OpenAI-compatible routes)." },
);

/** The error responses of an OpenAI-compatible route, keyed by status. */
export function openAiErrors<S extends number>(...statuses: S[]): Record<S, typeof OpenAiErrorResponse> {
  return Object.fromEntries(statuses.map((s) => [s, OpenAiErrorResponse])) as Record<S, typeof OpenAiErrorResponse>;
}

export const ModelSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('model'),
  created: Type.Integer({ description: 'Unix seconds: when this server started serving the model.' }),
  owned_by: Type.String(),
});

export const ModelListSchema = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(ModelSchema),
});

export const ModelParams = Type.Object({
  model: Type.String({ minLength: 1, maxLength: 200, description: 'A model id, or an OpenAI alias.' }),
});

const Usage = Type.Object({ type: Type.Literal('duration'), seconds: Type.Integer() });

/** The 200 answer: JSON for json/verbose_json, text/plain for text/srt/vtt, SSE for stream=true. */
export const TranscriptionResponseSchema = Type.Union(
  [
    Type.Object({ text: Type.String(), usage: Usage }, { title: 'json' }),
    Type.Object(
      {
        task: Type.Literal('transcribe'),
        language: Type.String({ description: 'English name, as Whisper reports it ("english").' }),
        duration: Type.Number(),
        text: Type.String(),
        segments: Type.Optional(
          Type.Array(
            Type.Object({
              id: Type.Integer(),
              seek: Type.Integer(),
              start: Type.Number(),
              end: Type.Number(),
              text: Type.String(),
              tokens: Type.Array(Type.Integer()),
              temperature: Type.Number(),
              avg_logprob: Type.Number(),
              compression_ratio: Type.Number(),
              no_speech_prob: Type.Number(),
            }),
          ),
        ),
        words: Type.Optional(
          Type.Array(Type.Object({ word: Type.String(), start: Type.Number(), end: Type.Number() })),
        ),
        usage: Usage,
      },
      { title: 'verbose_json' },
    ),
    Type.String({ title: 'text, srt or vtt (text/plain); or text/event-stream with stream=true' }),
  ],
  { description: 'The transcript in the requested response_format.' },
);

/** The multipart form (parsed as a stream, so documented here rather than validated as a body). */
export const TranscriptionMultipartSchema = Type.Object({
  file: Type.String({ format: 'binary', description: 'The recording (any format ffmpeg reads).' }),
  model: Type.String({
    description: `A model id from GET /v1/models, or one of the OpenAI names ${OPENAI_MODEL_ALIASES.join(', ')}.`,
  }),
  language: Type.Optional(Type.String({ description: 'ISO-639-1 code; default: the server default language.' })),
  prompt: Type.Optional(Type.String({ description: 'Accepted and ignored (the engines take no prompt).' })),
  response_format: Type.Optional(
    Type.Union(
      RESPONSE_FORMATS.map((f) => Type.Literal(f)),
      { default: 'json' },
    ),
  ),
  temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Accepted and ignored.' })),
  'timestamp_granularities[]': Type.Optional(
    Type.Array(Type.Union(TIMESTAMP_GRANULARITIES.map((g) => Type.Literal(g))), {
      description: 'verbose_json: `word` adds words; segments come unless only `word` is asked for.',
    }),
  ),
  stream: Type.Optional(
    Type.Boolean({ description: 'Server-Sent Events: transcript.text.delta, then transcript.text.done.' }),
  ),
});
