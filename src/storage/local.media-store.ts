import { copyFile, open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { MediaMissingError } from '../core/errors/index.js';
import { createMediaDir, mediaDir, removeMediaDir, writeLimited } from '../services/media-files.js';
import { assertObjectName, type ByteRange, type MediaStore, type PutOptions, type StoredMedia } from './media-store.js';

/**
 * Media as files in `${dataDir}/media/<taskId>/`, the key being the file's absolute path: the layout
 * Earshot always had, so rows written before the MediaStore existed read unchanged. Several nodes
 * can use it only when they mount the same data directory.
 */
export class LocalMediaStore implements MediaStore {
  readonly kind = 'local';

  constructor(private readonly dataDir: string) {}

  async put(taskId: string, name: string, source: Readable, opts: PutOptions): Promise<StoredMedia> {
    assertObjectName(name);
    const file = path.join(await createMediaDir(this.dataDir, taskId), name);
    // writeLimited removes the partial file on any failure.
    const bytes = await writeLimited(source, file, opts.maxBytes, opts.signal);
    return { key: file, bytes };
  }

  async putFile(taskId: string, file: string): Promise<StoredMedia> {
    const dir = mediaDir(this.dataDir, taskId);
    const absolute = path.resolve(file);
    if (path.dirname(absolute) === dir) return { key: absolute, bytes: (await stat(absolute)).size };
    const name = path.basename(absolute);
    assertObjectName(name);
    const target = path.join(await createMediaDir(this.dataDir, taskId), name);
    await copyFile(absolute, target);
    return { key: target, bytes: (await stat(target)).size };
  }

  async stat(key: string): Promise<{ bytes: number } | null> {
    const s = await stat(key).catch(() => null);
    return s?.isFile() === true ? { bytes: s.size } : null;
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const file = await open(key, 'r').catch((err: unknown) => {
      throw missing(err, key);
    });
    // The stream closes the handle when it ends or is destroyed.
    return file.createReadStream(range === undefined ? {} : { start: range.start, end: range.end });
  }

  async materialise(key: string): Promise<string> {
    if ((await this.stat(key)) === null) throw new MediaMissingError(key);
    return key;
  }

  async remove(taskId: string): Promise<void> {
    await removeMediaDir(this.dataDir, taskId);
  }

  async sweepOrphans(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {}
}

function missing(err: unknown, key: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'EISDIR' ? new MediaMissingError(key) : err;
}
