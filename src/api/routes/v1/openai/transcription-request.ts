import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { EarshotError, InvalidParamError, InvalidRequestError } from '../../../../core/errors/index.js';
import type { ReceivedInput, TaskService } from '../../../../services/task.service.js';
import { drainRefusedUpload } from '../../../refused-upload.js';
import {
  RESPONSE_FORMATS,
  type ResponseFormat,
  TIMESTAMP_GRANULARITIES,
  type TimestampGranularity,
} from './openai-formats.js';
import type { ModelCatalog } from './openai-models.js';

/** The request's parameters, checked. `prompt` and `temperature` are checked but not used (see docs/api.md). */
export interface TranscriptionParams {
  model: string;
  language: string | undefined;
  responseFormat: ResponseFormat;
  granularities: Set<TimestampGranularity>;
  stream: boolean;
}

/**
 * Busboy limits for this route: OpenAI's SDKs send up to a dozen fields (arrays as repeated `name[]`
 * fields), and a prompt may be longer than the task API's 4 kB fields. One file.
 */
function limits(maxUploadBytes: number) {
  return {
    fields: 32,
    parts: 33,
    files: 1,
    fieldSize: 16 * 1024,
    // One byte above the service's own limit, so that check (413, partial file removed) is the one that fires.
    fileSize: maxUploadBytes + 1,
  };
}

/** Fields OpenAI defines that Earshot accepts and does not use (Earshot always cuts at silences; no logprobs). */
const IGNORED = new Set(['include[]', 'include', 'chunking_strategy', 'user']);

const FLAGS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false };

/** Collects and checks the text fields as they arrive, so a bad one sent before the file is refused before the upload. */
class Fields {
  model: string | undefined;
  language: string | undefined;
  responseFormat: ResponseFormat = 'json';
  readonly granularities = new Set<TimestampGranularity>();
  stream = false;
  private readonly seen = new Set<string>();

  constructor(private readonly models: ModelCatalog) {}

  add(name: string, raw: string, truncated: boolean): void {
    const value = raw.trim();
    // `timestamp_granularities[]` is how the SDKs send the array; curl users often drop the brackets.
    if (name === 'timestamp_granularities[]' || name === 'timestamp_granularities') {
      if (!(TIMESTAMP_GRANULARITIES as readonly string[]).includes(value)) {
        throw new InvalidParamError(name, `timestamp_granularities: expected 'word' or 'segment', got '${value}'`);
      }
      this.granularities.add(value as TimestampGranularity);
      return;
    }
    if (name === 'prompt') return; // accepted, not used: PocketSphinx and sherpa-onnx take no prompt
    if (IGNORED.has(name) || name.startsWith('chunking_strategy[')) return;
    if (this.seen.has(name)) throw new InvalidParamError(name, `${name} was given more than once`);
    this.seen.add(name);
    if (truncated) throw new InvalidParamError(name, `${name} is too long`);
    switch (name) {
      case 'model':
        this.model = this.models.retrieve(value).id;
        return;
      case 'language':
        if (value !== '') this.language = value;
        return;
      case 'response_format':
        if (!(RESPONSE_FORMATS as readonly string[]).includes(value)) {
          throw new InvalidParamError(
            'response_format',
            `response_format must be one of ${RESPONSE_FORMATS.join(', ')}; got '${value}'`,
          );
        }
        this.responseFormat = value as ResponseFormat;
        return;
      case 'temperature': {
        const t = Number(value);
        if (value === '' || !Number.isFinite(t) || t < 0 || t > 1) {
          throw new InvalidParamError('temperature', `temperature must be a number between 0 and 1; got '${value}'`);
        }
        return; // accepted, not used: the engines decode deterministically
      }
      case 'stream': {
        const flag = FLAGS[value.toLowerCase()];
        if (flag === undefined) throw new InvalidParamError('stream', `stream must be true or false; got '${value}'`);
        this.stream = flag;
        return;
      }
      default:
        // Other OpenAI-compatible servers' extensions are ignored rather than refused, so tools that
        // send them still work (their meaning here would be a guess).
        return;
    }
  }

  params(): TranscriptionParams {
    if (this.model === undefined) throw new InvalidParamError('model', 'you must provide a model parameter');
    return {
      model: this.model,
      language: this.language,
      responseFormat: this.responseFormat,
      granularities: this.granularities,
      stream: this.stream,
    };
  }
}

/**
 * Reads an OpenAI transcription request: the file is streamed into its task's media directory as it
 * arrives (never buffered whole) and the fields, before or after it, are checked as they arrive.
 * Returns the received input and the parameters; on any refusal the input is removed and the rest
 * of the body drained (up to a bound) so the client reads the error.
 */
export async function receiveTranscription(
  request: FastifyRequest,
  deps: { tasks: TaskService; models: ModelCatalog; maxUploadBytes: number },
  signal: AbortSignal,
): Promise<{ received: ReceivedInput; params: TranscriptionParams }> {
  if (!request.isMultipart()) {
    throw new InvalidParamError('file', 'send multipart/form-data with the audio in a part named "file"');
  }
  const fields = new Fields(deps.models);
  const parts = request.parts({ limits: limits(deps.maxUploadBytes) });
  let received: ReceivedInput | null = null;
  let current: Multipart | null = null;
  let parserFailed = false;
  const next = () =>
    parts.next().catch((err: unknown) => {
      parserFailed = true;
      throw err;
    });
  try {
    for (let r = await next(); r.done !== true; r = await next()) {
      const part = r.value;
      current = part;
      if (part.type === 'file') {
        if (part.fieldname !== 'file') {
          throw new InvalidParamError(
            part.fieldname,
            `the audio must be in a part named "file", not "${part.fieldname}"`,
          );
        }
        received = await deps.tasks.receive({ kind: 'upload', stream: part.file, filename: part.filename }, signal);
      } else {
        fields.add(part.fieldname, String(part.value), part.valueTruncated);
      }
      current = null;
    }
    if (received === null) throw new InvalidParamError('file', 'the request has no file part named "file"');
    return { received, params: fields.params() };
  } catch (err) {
    if (received !== null) await deps.tasks.discard(received);
    // A body the parser gave up on cannot be read on; the error handler closes the connection.
    if (!parserFailed) await drainRest(parts, current, request.raw);
    throw malformed(err);
  }
}

/**
 * Reads and drops (a bounded part of) what is left of a refused request, so a client still sending
 * its file reads the error instead of a reset connection (see drainRefusedUpload).
 */
async function drainRest(
  parts: AsyncIterableIterator<Multipart>,
  current: Multipart | null,
  raw: FastifyRequest['raw'],
): Promise<void> {
  try {
    if (current?.type === 'file') {
      await drainRefusedUpload(current.file, raw);
      return;
    }
    // Fields are small and bounded in number; the one file part is drained like any refused upload.
    for (let r = await parts.next(); r.done !== true && !raw.complete; r = await parts.next()) {
      if (r.value.type === 'file') {
        await drainRefusedUpload(r.value.file, raw);
        return;
      }
    }
  } catch {
    // The rest of the body is malformed as well: the connection is closed with the answer.
  }
}

/**
 * Busboy's parse errors carry no status: the body is malformed, which is the client's doing. Errors
 * with a status, and the disk's own (a `syscall`), stay what they are.
 */
function malformed(err: unknown): unknown {
  if (err instanceof EarshotError || !(err instanceof Error)) return err;
  if (typeof (err as { statusCode?: unknown }).statusCode === 'number') return err;
  if (typeof (err as NodeJS.ErrnoException).syscall === 'string') return err;
  return new InvalidRequestError(`malformed multipart body: ${err.message}`);
}
