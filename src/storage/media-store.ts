import type { Readable } from 'node:stream';

/** The media stores Earshot can use (`EARSHOT_MEDIA_STORE`). */
export const MEDIA_STORE_KINDS = ['local', 'database'] as const;
export type MediaStoreKind = (typeof MEDIA_STORE_KINDS)[number];

/** An object as stored: the key the task row keeps (`media_path`) and its size. */
export interface StoredMedia {
  key: string;
  bytes: number;
}

/** Bytes `start` to `end`, both included (as in an HTTP Range). */
export interface ByteRange {
  start: number;
  end: number;
}

export interface PutOptions {
  /** More bytes than this fail the put with PayloadTooLargeError; nothing is left behind. */
  maxBytes: number;
  signal?: AbortSignal;
}

/**
 * Where task inputs live, so that nodes need to share nothing but what the store keeps them in.
 * Objects belong to a task and are written once (put), then read whole or by range, copied to a
 * local file for ffmpeg, and removed with their task. An object becomes visible (stat, read) only
 * once completely written. Keys are opaque strings the task row keeps; only the store that made a
 * key reads it. Adapters: `local` (files in the data directory; a shared mount for several nodes)
 * and `database` (PostgreSQL parts). One conformance suite checks both
 * (test/storage/media-store.conformance.ts).
 */
export interface MediaStore {
  /** Which adapter this is (the `EARSHOT_MEDIA_STORE` value that makes it). */
  readonly kind: MediaStoreKind;

  /**
   * Streams `source` in as `name` (a plain file name such as `input.mp3`) of task `taskId`. Memory
   * stays bounded whatever the size. On any failure (the source errors or ends early, `maxBytes`
   * passed, `signal` aborted) nothing of it stays stored, and the error propagates.
   */
  put(taskId: string, name: string, source: Readable, opts: PutOptions): Promise<StoredMedia>;

  /**
   * Stores a file already on this node's disk (an upload spooled and probed there). `local`: a file
   * in the task's media directory becomes the object as it is, nothing copied; `database`: streamed
   * in like put(). The caller still owns `file` (the database store leaves it in place).
   */
  putFile(taskId: string, file: string, opts?: { signal?: AbortSignal }): Promise<StoredMedia>;

  /** The size of a complete object, or null when there is none under `key`. */
  stat(key: string): Promise<{ bytes: number } | null>;

  /**
   * The object's bytes, all or `range` (which must lie inside it: check with stat() first), as a
   * stream that holds at most about one part in memory. Rejects with MediaMissingError when the
   * object does not exist; fails the stream if it is removed while being read.
   */
  read(key: string, range?: ByteRange): Promise<Readable>;

  /**
   * A local file with the object's bytes, for tools that need a path (ffmpeg, ffprobe). `local`: the
   * stored file itself (nothing copied; `dir` unused); `database`: streamed into a new file in `dir`,
   * which the caller removes when done (the worker's per-run work directory). Rejects with
   * MediaMissingError when the object does not exist.
   */
  materialise(key: string, dir: string, opts?: { signal?: AbortSignal }): Promise<string>;

  /** Removes every object of task `taskId`, and any copy of them in this node's media directory. Idempotent. */
  remove(taskId: string): Promise<void>;

  /**
   * Removes objects whose task does not exist and that nothing wrote to since `before` (ms epoch):
   * writes cut off with their process, and media whose task was never enqueued because its node
   * died in between. Returns how many. `local`: none (its files go with their task's directory).
   */
  sweepOrphans(before: number): Promise<number>;

  /** Releases connections. Idempotent. */
  close(): Promise<void>;
}

/** A plain file name for an object: no path, no leading dot, nothing a key or a path could trip on. */
export function assertObjectName(name: string): void {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new Error(`refusing unsafe media object name ${JSON.stringify(name)}`);
  }
}
