import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { type Config, llmEnabled } from '../config/config.js';
import { ARTIFACT_KINDS } from '../core/artifact.js';
import {
  BadAudioError,
  ConflictError,
  EarshotError,
  InternalError,
  InvalidRequestError,
  LlmNotConfiguredError,
  NotFoundError,
  QueueFullError,
  UnsupportedLanguageError,
} from '../core/errors/index.js';
import type { Logger } from '../core/logger.js';
import type { Task, TaskOptions } from '../core/task.js';
import { fullText, type OutputFormat, type Segment, type Transcript } from '../core/transcript.js';
import type { User } from '../core/user.js';
import { type LanguageSupport, languageSupport } from '../engines/engine-languages.js';
import type { MediaStore } from '../storage/media-store.js';
import type { ListFilter, Scope, TaskPage, TaskStore } from '../store/task.store.js';
import { normaliseTitle } from './library.service.js';
import { createMediaDir, removeMediaDir, safeSourceName, storedFileName, writeLimited } from './media-files.js';
import { checkOutboundUrl } from './net-guard.js';
import { fetchToFile } from './url-fetch.js';

/** What ffprobe tells us about an input; rejects (BadAudioError) when it is not usable audio. */
export type ProbeFn = (path: string) => Promise<{ durationSeconds: number | null }>;

/** Task options as the API accepts them (already schema-validated). */
export interface TaskOptionsInput {
  language?: string;
  formats?: OutputFormat[];
  priority?: number;
  max_chunk_seconds?: number;
  callback_url?: string;
  summary?: boolean;
  polish?: boolean;
  /** The user's own name for the recording; normalised by normaliseTitle. */
  title?: string;
}

/**
 * An input spooled to this node's disk, in its task's media directory (ffprobe needs a file), not yet
 * in the media store nor a task (see TaskService.receive).
 */
export interface ReceivedInput {
  /** The id the task will have. */
  id: string;
  sourceName: string;
  /** The spooled file on this node. */
  mediaPath: string;
  bytes: number;
}

interface CheckedOptions {
  language: string;
  callbackUrl: string | null;
  title: string | null;
}

export type TaskSource =
  | { kind: 'upload'; stream: Readable; filename: string | undefined }
  | { kind: 'url'; url: string };

export interface TaskServiceDeps {
  config: Config;
  store: TaskStore;
  /** Where accepted inputs are kept; the task row holds its key. */
  media: MediaStore;
  log: Logger;
  probe: ProbeFn;
  /** Dispatcher for user-chosen URLs (checks addresses at connect time). */
  outbound: Dispatcher;
  /** Called after a transition this service made, so listeners see it without waiting for a poll. */
  onChange?: () => void;
}

export function scopeOf(user: User): Scope {
  return user.role === 'admin' ? { admin: true } : { userId: user.id };
}

/**
 * Task use cases behind the HTTP routes: creating a task from an upload or a URL (store the input
 * safely, probe it, enqueue it), reading, cancelling, retrying and deleting (with its files), and
 * building transcripts (final or partial). Visibility is always decided by the store's scope, so a
 * foreign task is indistinguishable from a missing one.
 */
export class TaskService {
  private readonly languages: LanguageSupport;

  constructor(private readonly deps: TaskServiceDeps) {
    this.languages = languageSupport(deps.config);
  }

  async create(user: User, source: TaskSource, input: TaskOptionsInput, signal?: AbortSignal): Promise<Task> {
    // Options are checked before receiving a possibly large input: a language the engine cannot do
    // would otherwise only fail on the worker, after the upload and the wait.
    const checked = await this.checkOptions(input);
    const received = await this.receive(source, signal);
    return this.enqueueChecked(user, received, input, checked);
  }

  /**
   * Stores an input before its options are known (OpenAI clients may send the option fields after
   * the file). Refuses at once when the queue is full. The caller must pass the result to
   * `enqueueReceived` or `discard`.
   */
  async receive(source: TaskSource, signal?: AbortSignal): Promise<ReceivedInput> {
    const { config, store } = this.deps;
    // Refuse before receiving a possibly large input; enqueue re-checks atomically. A counter read, so
    // an upload's cost does not grow with every task ever stored.
    if ((await store.queuedCount()) >= config.maxQueued) throw new QueueFullError();

    const id = randomUUID();
    const dir = await createMediaDir(config.dataDir, id);
    try {
      if (source.kind === 'upload') {
        const sourceName = safeSourceName(source.filename);
        const mediaPath = path.join(dir, storedFileName(sourceName));
        const bytes = await writeLimited(source.stream, mediaPath, config.maxUploadBytes, signal).catch(
          (err: unknown) => {
            throw uploadError(err);
          },
        );
        return { id, sourceName, mediaPath, bytes };
      }
      const url = await checkOutboundUrl(source.url, config.allowPrivateNetworks);
      const sourceName = safeSourceName(lastPathSegment(url), 'download');
      const mediaPath = path.join(dir, storedFileName(sourceName));
      const fetched = await fetchToFile(
        url.href,
        mediaPath,
        {
          maxBytes: config.maxUploadBytes,
          timeoutMs: config.urlFetchTimeoutMs,
          allowPrivate: config.allowPrivateNetworks,
        },
        this.deps.outbound,
        signal,
      );
      return { id, sourceName, mediaPath, bytes: fetched.bytes };
    } catch (err) {
      await this.discard({ id });
      throw err;
    }
  }

  /** Checks the options, probes the received input and enqueues it; the input is removed when refused. */
  async enqueueReceived(user: User, received: ReceivedInput, input: TaskOptionsInput): Promise<Task> {
    let checked: CheckedOptions;
    try {
      checked = await this.checkOptions(input);
    } catch (err) {
      await this.discard(received);
      throw err;
    }
    return this.enqueueChecked(user, received, input, checked);
  }

  /** Removes a received input (spooled or stored) that will not become a task. Never throws (a leftover is logged). */
  async discard(received: Pick<ReceivedInput, 'id'>): Promise<void> {
    await this.deps.media
      .remove(received.id)
      .catch((rmErr: unknown) =>
        this.deps.log.warn({ err: rmErr, taskId: received.id }, 'could not remove the input of a rejected task'),
      );
  }

  /** The options that need checking beyond the schema: the engine's languages and the callback's address. */
  private async checkOptions(input: TaskOptionsInput): Promise<CheckedOptions> {
    const { config } = this.deps;
    // Without a server the artifact could never be made.
    for (const option of ARTIFACT_KINDS) {
      if (input[option] === true && !llmEnabled(config)) throw new LlmNotConfiguredError(option);
    }
    const language = input.language ?? config.language;
    if (!this.languages.accepts(language)) {
      throw new UnsupportedLanguageError(config.engine, language, this.languages.offered ?? []);
    }
    const callbackUrl =
      input.callback_url === undefined
        ? null
        : (await checkOutboundUrl(input.callback_url, config.allowPrivateNetworks, 'callback_url')).href;
    return { language, callbackUrl, title: normaliseTitle(input.title) };
  }

  private async enqueueChecked(
    user: User,
    received: ReceivedInput,
    input: TaskOptionsInput,
    checked: CheckedOptions,
  ): Promise<Task> {
    const { config, store, media } = this.deps;
    const { id, sourceName, mediaPath } = received;
    try {
      if (received.bytes === 0) throw new BadAudioError('the file is empty');
      const { durationSeconds } = await this.probe(mediaPath, sourceName);
      // Stored before the task exists, so an accepted input outlives the node that received it. The
      // local store keeps the spooled file as it is; any other copies it, and the spool goes.
      const stored = await media.putFile(id, mediaPath);
      if (stored.key !== mediaPath) await removeMediaDir(config.dataDir, id);
      const options: TaskOptions = {
        language: checked.language,
        formats: input.formats ?? ['json'],
        ...(input.max_chunk_seconds === undefined ? {} : { maxChunkSeconds: input.max_chunk_seconds }),
        ...(input.summary === true ? { summary: true } : {}),
        ...(input.polish === true ? { polish: true } : {}),
      };
      const task = await store.enqueue(
        {
          id,
          userId: user.id,
          priority: input.priority ?? 0,
          sourceName,
          mediaPath: stored.key,
          mediaBytes: stored.bytes,
          options,
          callbackUrl: checked.callbackUrl,
          maxAttempts: config.maxAttempts,
          durationSeconds,
          title: checked.title,
        },
        config.maxQueued,
      );
      this.deps.onChange?.();
      return task;
    } catch (err) {
      await this.discard(received);
      throw err;
    }
  }

  async get(id: string, scope: Scope): Promise<Task> {
    const task = await this.deps.store.get(id, scope);
    if (task === null) throw new NotFoundError();
    return task;
  }

  list(scope: Scope, filter: ListFilter): Promise<TaskPage> {
    return this.deps.store.list(scope, filter);
  }

  async cancel(id: string, scope: Scope): Promise<Task> {
    const task = await this.deps.store.cancel(id, scope);
    if (task === null) throw new NotFoundError();
    this.deps.onChange?.();
    return task;
  }

  async retry(id: string, scope: Scope): Promise<Task> {
    const task = await this.deps.store.retry(id, scope);
    if (task === null) throw new NotFoundError();
    this.deps.onChange?.();
    return task;
  }

  /** Deletes the row (and the store's checkpoints and transcript), then the task's media (and any copy on this node). */
  async remove(id: string, scope: Scope): Promise<void> {
    const task = await this.deps.store.remove(id, scope);
    if (task === null) throw new NotFoundError();
    this.deps.onChange?.();
    await this.deps.media.remove(task.id);
  }

  /**
   * The final transcript once the task succeeded. With `partial`, a task that has not succeeded
   * yields the contiguous prefix of recognised chunks from the start (marked `partial: true`).
   */
  async transcript(task: Task, partial: boolean): Promise<Transcript> {
    if (task.status === 'succeeded') {
      const transcript = await this.deps.store.getTranscript(task.id);
      if (transcript === null) throw new InternalError(`task ${task.id} succeeded without a transcript`);
      return transcript;
    }
    if (!partial) throw new ConflictError(`the transcript is not ready (task is ${task.status})`, 'not_ready');
    const plan = await this.deps.store.getPlan(task.id);
    const chunks = [...plan.chunks].sort((a, b) => a.index - b.index);
    const segments: Segment[] = [];
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i];
      if (chunk === undefined || chunk.index !== i || chunk.checkpoint === null) break;
      segments.push(...chunk.checkpoint.segments);
    }
    return {
      language: task.options.language,
      duration: task.durationSeconds ?? 0,
      segments,
      text: fullText(segments),
      partial: true,
    };
  }

  /** Probes the stored input; errors name the file as the client sent it, not its stored name. */
  private async probe(mediaPath: string, sourceName: string): Promise<{ durationSeconds: number | null }> {
    try {
      return await this.deps.probe(mediaPath);
    } catch (err) {
      if (err instanceof BadAudioError) {
        throw new BadAudioError(err.message.split(path.basename(mediaPath)).join(sourceName), err);
      }
      if (err instanceof EarshotError) throw err;
      throw new BadAudioError(`the file could not be read as audio: ${(err as Error).message}`, err);
    }
  }
}

/**
 * A failed upload stream is the client's doing (it disconnected, or sent a malformed or truncated
 * multipart body) unless the disk failed: those stay 500s.
 */
function uploadError(err: unknown): unknown {
  if (err instanceof EarshotError) return err;
  if (typeof (err as NodeJS.ErrnoException).syscall === 'string') return err;
  return new InvalidRequestError(`the upload was interrupted: ${(err as Error).message}`);
}

function lastPathSegment(url: URL): string {
  const last = url.pathname.split('/').pop() ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}
