import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  NotFoundError,
  ServiceUnavailableError,
  TaskFailedError,
  UnsupportedOperationError,
} from '../../../../core/errors/index.js';
import type { Task } from '../../../../core/task.js';
import type { Transcript } from '../../../../core/transcript.js';
import type { User } from '../../../../core/user.js';
import { AbandonedTasks } from '../../../../services/abandoned-tasks.js';
import { clientGone } from '../../../client-gone.js';
import type { ApiContext } from '../../../context.js';
import { requireUser } from '../../../plugins/auth.js';
import { drainRefusedUpload } from '../../../refused-upload.js';
import { openAiErrors, TranscriptionResponseSchema } from '../../../schemas/openai.schema.js';
import { DeltaStream } from './delta-stream.js';
import { taskCancelled, taskDeleted } from './openai-errors.js';
import { jsonResponse, PLAIN_CONTENT_TYPE, plainChunks, verboseResponse } from './openai-formats.js';
import type { ModelCatalog } from './openai-models.js';
import { receiveTranscription, type TranscriptionParams } from './transcription-request.js';

/** Bounds of one streamed response (as for the task event streams). */
const STREAM_LIMITS = { maxBufferedBytes: 1 << 20, maxPending: 10_000, maxHeldChunks: 10_000 };

/**
 * POST /v1/audio/transcriptions (OpenAI-compatible) and POST /v1/audio/translations (refused).
 * Each transcription is an ordinary task of the caller (same queue, limits and retries; listed by
 * GET /v1/tasks); the response waits for its end, however long, or streams its chunks as they
 * finish. The task lives only as long as its request: a client that leaves before the answer gets
 * its task cancelled, since nobody could read the result through this door.
 */
export function transcriptionRoutes(ctx: ApiContext, models: ModelCatalog): FastifyPluginAsyncTypebox {
  const { tasks, waits, streams, store, config, log } = ctx;

  const abandoned = new AbandonedTasks({ tasks, log });
  const abandon = (task: Task, user: User, why: string) => abandoned.abandon(task, user, why);

  function send(reply: FastifyReply, transcript: Transcript, params: TranscriptionParams): FastifyReply {
    switch (params.responseFormat) {
      case 'json':
      case 'verbose_json': {
        const body =
          params.responseFormat === 'json'
            ? jsonResponse(transcript)
            : verboseResponse(transcript, params.granularities);
        // Serialised here: the response schema documents a union the serialiser cannot choose from.
        return reply
          .type('application/json')
          .serializer((payload: unknown) => payload as string)
          .send(JSON.stringify(body));
      }
      case 'text':
      case 'srt':
      case 'vtt':
        return reply.type(PLAIN_CONTENT_TYPE).send(Readable.from(plainChunks(transcript, params.responseFormat)));
    }
  }

  async function respond(
    request: FastifyRequest,
    reply: FastifyReply,
    user: User,
    task: Task,
    params: TranscriptionParams,
    signal: AbortSignal,
  ): Promise<FastifyReply> {
    const result = await waits.untilDone(task, signal).catch((err: unknown) => {
      throw err instanceof NotFoundError ? taskDeleted() : err;
    });
    if (!result.ended) {
      await abandon(task, user, result.reason);
      if (result.reason === 'shutdown')
        throw new ServiceUnavailableError('the server is shutting down; send the request again');
      // The client is gone: there is nobody to answer.
      request.log.info({ taskId: task.id }, 'client left before its transcription ended');
      return reply.hijack();
    }
    const ended = result.task;
    if (ended.status === 'succeeded' && result.transcript !== null) return send(reply, result.transcript, params);
    if (ended.status === 'failed') throw new TaskFailedError(ended.id, ended.errorCode, ended.errorMessage);
    throw taskCancelled();
  }

  async function stream(reply: FastifyReply, user: User, task: Task, since: number): Promise<void> {
    const sink = new DeltaStream(reply, {
      ...STREAM_LIMITS,
      log,
      transcript: (ended) => tasks.transcript(ended, false),
    });
    sink.onClose(() => {
      if (!sink.settled) void abandon(task, user, 'stream closed');
    });
    try {
      // Replays the task's events since before it was enqueued, then follows it live: no chunk is missed.
      await streams.follow(sink, { user, taskId: task.id, lastEventId: since });
    } catch (err) {
      // Refused before the stream opened (too many streams): the task would have nobody to answer.
      await abandon(task, user, 'stream refused');
      throw err;
    }
  }

  return async (app) => {
    // The store closes after the app: cancellations started by the shutdown finish first.
    app.addHook('onClose', () => abandoned.settled());

    app.post(
      '/audio/transcriptions',
      {
        schema: {
          summary: 'Transcribe a recording (OpenAI-compatible)',
          description:
            'multipart/form-data: `file`, `model`, `language`, `prompt`, `response_format` (json, text, srt, verbose_json, vtt), ' +
            '`temperature`, `timestamp_granularities[]`, `stream`. Fields may come before or after the file. ' +
            'An ordinary task underneath; the response waits for it (or streams it with stream=true). ' +
            'If the client disconnects first, the task is cancelled.',
          consumes: ['multipart/form-data'],
          produces: ['application/json', 'text/plain', 'text/event-stream'],
          response: { 200: TranscriptionResponseSchema, ...openAiErrors(400, 401, 404, 409, 413, 429, 502, 503) },
        },
      },
      async (request, reply) => {
        const user = requireUser(request);
        const signal = clientGone(reply);
        // Every event of the task to be created comes after this one: the stream replays from here.
        const since = await store.latestEventSeq();
        const { received, params } = await receiveTranscription(
          request,
          { tasks, models, maxUploadBytes: config.maxUploadBytes },
          signal,
        );
        const task = await tasks.enqueueReceived(
          user,
          received,
          params.language === undefined ? {} : { language: params.language },
        );
        if (signal.aborted) {
          await abandon(task, user, 'client left during the upload');
          return reply.hijack();
        }
        if (params.stream) {
          await stream(reply, user, task, since);
          return reply;
        }
        return respond(request, reply, user, task, params, signal);
      },
    );

    app.post(
      '/audio/translations',
      {
        schema: {
          summary: 'Translate a recording into English (OpenAI-compatible): not available',
          description: 'Answers 400 unsupported_operation: no engine Earshot runs translates speech.',
          consumes: ['multipart/form-data'],
          response: openAiErrors(400, 401),
        },
      },
      async (request) => {
        // Read (a bounded part of) the upload first, so the client is not cut off mid-send and sees the error.
        if (request.isMultipart()) {
          const part = await request.file().catch(() => undefined);
          if (part) await drainRefusedUpload(part.file, request.raw);
        }
        throw new UnsupportedOperationError(
          `translation is not supported by this server's engine (${config.engine}); use /v1/audio/transcriptions`,
        );
      },
    );
  };
}
