import path from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  InvalidRequestError,
  MediaMissingError,
  NotFoundError,
  RangeNotSatisfiableError,
} from '../../../core/errors/index.js';
import type { Transcript } from '../../../core/transcript.js';
import { contentTypeFor, type RenderOptions, renderTranscript } from '../../../formats/index.js';
import { scopeOf } from '../../../services/task.service.js';
import { readTranscriptRevision, revisionEtag } from '../../../services/transcript-edit.service.js';
import type { ByteRange, MediaStore } from '../../../storage/media-store.js';
import type { ApiContext } from '../../context.js';
import { contentDisposition, mediaTypeFor, parseRange } from '../../media-range.js';
import { requireUser } from '../../plugins/auth.js';
import { errors, isSet, TaskIdParams } from '../../schemas/common.schema.js';
import { TranscriptQuerySchema } from '../../schemas/task.schema.js';

export function taskContentRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { tasks, artifacts, media } = ctx;
  return async (app) => {
    app.get(
      '/tasks/:id/transcript',
      {
        schema: {
          summary: 'The transcript as json, srt, vtt or txt',
          description:
            '409 not_ready until the task succeeded; `partial=true` returns the contiguous finished prefix meanwhile. ' +
            '`variant=polished`: the LLM-polished transcript (409 not_ready until the polish succeeded, 404 if none was requested). ' +
            'Otherwise the newest revision (edits included), with `ETag: "r<N>"`; `revision=<N>` an older one (0: the machine ' +
            'transcript; 404 if it does not exist).',
          params: TaskIdParams,
          querystring: TranscriptQuerySchema,
          response: {
            200: Type.String({ description: 'The rendered transcript (Content-Type by format).' }),
            ...errors(400, 401, 404, 409),
          },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const scope = scopeOf(requireUser(request));
        const task = await tasks.get(request.params.id, scope);
        let transcript: Transcript;
        if (q.variant === 'polished') {
          if (q.revision !== undefined)
            throw new InvalidRequestError('revision applies to the edited transcript, not variant=polished');
          transcript = await artifacts.polished(task.id, scope);
        } else if (task.status === 'succeeded' || q.revision !== undefined) {
          const revised = await readTranscriptRevision(ctx.store, task, q.revision);
          transcript = revised.transcript;
          void reply.header('etag', revisionEtag(revised.revision));
        } else {
          transcript = await tasks.transcript(task, isSet(q.partial));
        }
        const format = q.format ?? 'json';
        const options: RenderOptions = {
          ...(q.max_chars_per_line === undefined ? {} : { maxCharsPerLine: q.max_chars_per_line }),
          ...(q.max_lines === undefined ? {} : { maxLinesPerCue: q.max_lines }),
          ...(q.max_cue_seconds === undefined ? {} : { maxCueSeconds: q.max_cue_seconds }),
        };
        const body = renderTranscript(transcript, format, options);
        void reply.type(contentTypeFor(format));
        if (isSet(q.download)) {
          const base = path.parse(task.sourceName).name || 'transcript';
          const stem = q.variant === 'polished' ? `${base}.polished` : base;
          void reply.header('content-disposition', contentDisposition('attachment', `${stem}.${format}`));
        }
        // Serialised already: bypass the response schema's string serialiser (it would quote it).
        return reply.serializer((payload: unknown) => payload as string).send(body);
      },
    );

    app.get(
      '/tasks/:id/media',
      {
        // <audio>/<video> cannot send headers either; a query token lets the browser stream with Range.
        config: { allowQueryToken: true },
        schema: {
          summary: 'The original upload, with Range support (206) for playback and seeking',
          params: TaskIdParams,
          querystring: Type.Object({
            access_token: Type.Optional(Type.String({ description: 'The API token, for media elements.' })),
          }),
          response: {
            200: Type.Unsafe<unknown>({ type: 'string', format: 'binary', description: 'The whole file.' }),
            206: Type.Unsafe<unknown>({ type: 'string', format: 'binary', description: 'The requested byte range.' }),
            ...errors(401, 404, 416),
          },
        },
      },
      async (request, reply) => {
        const task = await tasks.get(request.params.id, scopeOf(requireUser(request)));
        const stored = await media.stat(task.mediaPath);
        if (stored === null) throw new NotFoundError('media');
        const size = stored.bytes;
        const range = parseRange(request.headers.range, size);
        if (range === 'unsatisfiable') throw new RangeNotSatisfiableError(size);
        void reply
          .header('accept-ranges', 'bytes')
          .header('content-type', mediaTypeFor(task.mediaPath))
          .header('x-content-type-options', 'nosniff')
          .header('content-disposition', contentDisposition('inline', task.sourceName))
          .header('cache-control', 'private, max-age=3600');
        if (range === null) {
          void reply.header('content-length', String(size));
          return reply.status(200).send(await readMedia(media, task.mediaPath));
        }
        void reply
          .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
          .header('content-length', String(range.end - range.start + 1));
        return reply.status(206).send(await readMedia(media, task.mediaPath, range));
      },
    );
  };
}

/** Media removed between stat and read (the task was deleted meanwhile) is as missing as media never stored. */
async function readMedia(media: MediaStore, key: string, range?: ByteRange) {
  try {
    return await media.read(key, range);
  } catch (err) {
    if (err instanceof MediaMissingError) throw new NotFoundError('media');
    throw err;
  }
}
