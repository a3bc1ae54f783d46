import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import yazl from 'yazl';
import { ConflictError, InvalidRequestError, NotFoundError } from '../core/errors/index.js';
import type { Logger } from '../core/logger.js';
import { type Task, TITLE_MAX_CHARS } from '../core/task.js';
import type { OutputFormat } from '../core/transcript.js';
import { fileExtensionFor, transcriptChunks } from '../formats/index.js';
import type { Scope, TaskStore } from '../store/task.store.js';
import { EntryNames } from './export-names.js';
import type { TaskService } from './task.service.js';

/** The archive's list of tasks it could not export. Reserved: no transcript entry takes its name. */
export const SKIPPED_ENTRY = 'SKIPPED.txt';

/**
 * A title as stored: control characters become spaces, then trimmed; empty (or absent) is none.
 * Throws InvalidRequestError past TITLE_MAX_CHARS.
 */
export function normaliseTitle(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it replaces.
  const title = raw.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  if (title === '') return null;
  if (Array.from(title).length > TITLE_MAX_CHARS) {
    throw new InvalidRequestError(`title: at most ${TITLE_MAX_CHARS} characters`);
  }
  return title;
}

export interface BulkDeleteResult {
  deleted: string[];
  notFound: string[];
}

/** Why a task named in an export has no entry. */
type SkipReason = 'not found' | 'not finished';

export interface LibraryServiceDeps {
  store: TaskStore;
  tasks: TaskService;
  log: Logger;
}

/**
 * The library's use cases on top of single tasks: naming a task, deleting several at once, and
 * exporting several transcripts as one zip archive. Visibility is the store's scope, as everywhere:
 * another user's task is as missing as one that never existed.
 */
export class LibraryService {
  constructor(private readonly deps: LibraryServiceDeps) {}

  async setTitle(id: string, scope: Scope, title: string | null): Promise<Task> {
    const task = await this.deps.store.setTitle(id, scope, normaliseTitle(title));
    if (task === null) throw new NotFoundError();
    return task;
  }

  /** Each one exactly as a single delete (running work stops, its media goes), one after another. */
  async remove(ids: readonly string[], scope: Scope): Promise<BulkDeleteResult> {
    const result: BulkDeleteResult = { deleted: [], notFound: [] };
    for (const id of ids) {
      try {
        await this.deps.tasks.remove(id, scope);
        result.deleted.push(id);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        result.notFound.push(id);
      }
    }
    return result;
  }

  /**
   * A zip with one entry per succeeded task among `ids` (in their order), named after its title or
   * source file, plus SKIPPED.txt listing the others. ConflictError('not_ready') when none can be
   * exported. The archive is made as it is read: one transcript is loaded and rendered at a time, and
   * the response's backpressure paces it, so memory stays bounded whatever the number and size.
   */
  async exportZip(ids: readonly string[], scope: Scope, format: OutputFormat): Promise<Readable> {
    const { store, log } = this.deps;
    const names = new EntryNames([SKIPPED_ENTRY]);
    const entries: { task: Task; name: string }[] = [];
    const skipped: { id: string; reason: SkipReason }[] = [];
    for (const id of ids) {
      const task = await store.get(id, scope);
      if (task === null) skipped.push({ id, reason: 'not found' });
      else if (task.status !== 'succeeded') skipped.push({ id, reason: 'not finished' });
      else
        entries.push({
          task,
          name: names.next(task.title ?? path.parse(task.sourceName).name, fileExtensionFor(format)),
        });
    }
    if (entries.length === 0) {
      throw new ConflictError('none of the tasks has a finished transcript to export', 'not_ready');
    }

    const zip = new yazl.ZipFile();
    const out = new PassThrough();
    zip.on('error', (err: unknown) => out.destroy(err as Error));
    // yazl's output is a PassThrough (typed as any readable stream).
    const archive = zip.outputStream as Readable;
    archive.on('error', (err) => out.destroy(err));
    archive.pipe(out);
    // A client that leaves stops the archive: nothing more is loaded for it.
    out.on('close', () => archive.unpipe(out).destroy());
    for (const { task, name } of entries) {
      zip.addReadStreamLazy(name, { mtime: new Date(task.finishedAt ?? task.updatedAt) }, (cb) => {
        store.getTranscript(task.id).then(
          (transcript) => {
            // Deleted after the check: an empty entry rather than a broken archive.
            if (transcript === null) log.warn({ taskId: task.id }, 'task deleted during export');
            cb(null, Readable.from(transcript === null ? [] : transcriptChunks(transcript, format)));
          },
          (err: unknown) => cb(err, Readable.from([])),
        );
      });
    }
    if (skipped.length > 0) {
      const lines = skipped.map((s) => `${s.id}\t${s.reason}`);
      const text = `Tasks not exported (id, reason):\n${lines.join('\n')}\n`;
      zip.addBuffer(Buffer.from(text, 'utf8'), SKIPPED_ENTRY, { mtime: new Date() });
    }
    zip.end();
    return out;
  }
}
