import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PayloadTooLargeError } from '../core/errors/index.js';

/**
 * Where inputs live: `${dataDir}/media/<taskId>/input<.ext>`. Both parts of the path are chosen by the
 * server (a generated id and a fixed name); the client's filename is only kept, sanitised, as the
 * task's display name, so no upload can name a path.
 */

const TASK_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function mediaDir(dataDir: string, taskId: string): string {
  if (!TASK_ID.test(taskId)) throw new Error(`refusing unsafe task id ${JSON.stringify(taskId)}`);
  return path.join(dataDir, 'media', taskId);
}

/** Control characters (C0, DEL, C1) and bidi overrides never belong in a display name. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * A display name from a client-supplied file name or URL path: its last path component (either
 * slash), without control characters or leading dots, at most 200 characters. Never used as a path.
 */
export function safeSourceName(raw: string | undefined, fallback = 'upload'): string {
  const last = (raw ?? '').split(/[/\\]/).pop() ?? '';
  const cleaned = last
    .replace(UNPRINTABLE, '')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(0, 200);
  return cleaned === '' ? fallback : cleaned;
}

/** The stored file's name: fixed, plus the source's extension when it is plainly one (ffprobe sniffs content anyway). */
export function storedFileName(sourceName: string): string {
  const ext = path.extname(sourceName).toLowerCase();
  return /^\.[a-z0-9]{1,8}$/.test(ext) ? `input${ext}` : 'input';
}

export async function createMediaDir(dataDir: string, taskId: string): Promise<string> {
  const dir = mediaDir(dataDir, taskId);
  await mkdir(dir, { recursive: true });
  return dir;
}

export async function removeMediaDir(dataDir: string, taskId: string): Promise<void> {
  await rm(mediaDir(dataDir, taskId), { recursive: true, force: true });
}

/** Counts bytes and fails the pipeline as soon as the limit is passed, so an oversized body is never fully written. */
export class ByteLimit extends Transform {
  bytes = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) cb(new PayloadTooLargeError(this.limit));
    else cb(null, chunk);
  }
}

/**
 * Streams `source` to `dest` with at most `maxBytes`; returns the byte count. On any failure the
 * partial file is removed before the error propagates.
 */
export async function writeLimited(
  source: NodeJS.ReadableStream,
  dest: string,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<number> {
  const limit = new ByteLimit(maxBytes);
  // A source destroyed before we got to it (a multipart part cut short while the request was being
  // checked) never settles a pipeline: fail it here instead of waiting forever.
  if ((source as { destroyed?: boolean }).destroyed === true) throw new Error('the stream ended before it was read');
  try {
    await pipeline(source, limit, createWriteStream(dest, { flags: 'wx' }), signal ? { signal } : {});
  } catch (err) {
    await rm(dest, { force: true });
    throw err;
  }
  return limit.bytes;
}
