import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { MediaMissingError, PayloadTooLargeError } from '../core/errors/index.js';
import { mediaDir } from '../services/media-files.js';
import type { StoreLogger } from '../store/store-options.js';
import { LocalMediaStore } from './local.media-store.js';
import { assertObjectName, type ByteRange, type MediaStore, type PutOptions, type StoredMedia } from './media-store.js';
import { PartReader } from './part-reader.js';

/** Keys of this store; anything else is a path written by the local store before a switch. */
const KEY_PREFIX = 'db:';
/**
 * 1 MiB parts: big enough that a statement's round trip costs little next to its bytes, small
 * enough that a part held in memory (one per running read or write) does not matter.
 */
export const DEFAULT_PART_BYTES = 1024 * 1024;

export interface DatabaseMediaStoreOptions {
  /** This node's data directory: spooled uploads live there (removed with the task's media). */
  dataDir: string;
  /** The schema of the task store (migration 3 created the tables there). */
  schema: string;
  partBytes?: number;
  /** Connections of this store's own pool; default 4. */
  poolSize?: number;
  log?: StoreLogger;
  now?: () => number;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Media in PostgreSQL (`media_objects` + `media_parts`, migration 3): the only thing nodes share is
 * the database. Writes insert one part per statement as the stream arrives; the object turns
 * `complete` (and visible) in a last statement. Parts are committed asynchronously
 * (`synchronous_commit=off` on this store's connections: the WAL is one sequence, so the
 * synchronous commit that completes the object flushes every part before it), which saves a disk
 * flush per part without ever showing a complete object whose parts could be lost. A write that
 * fails removes its object; one cut off with its process is left incomplete (invisible) and
 * removed by sweepOrphans(). Keys: `db:<taskId>/<name>`.
 */
export class DatabaseMediaStore implements MediaStore {
  readonly kind = 'database';
  private readonly pool: pg.Pool;
  private readonly local: LocalMediaStore;
  private readonly objects: string;
  private readonly parts: string;
  private readonly tasks: string;
  private readonly partBytes: number;
  private readonly now: () => number;
  private closed = false;

  constructor(
    connectionString: string,
    private readonly opts: DatabaseMediaStoreOptions,
  ) {
    if (!SCHEMA_NAME.test(opts.schema))
      throw new Error(`invalid PostgreSQL schema name: ${JSON.stringify(opts.schema)}`);
    const s = `"${opts.schema}"`;
    this.objects = `${s}.media_objects`;
    this.parts = `${s}.media_parts`;
    this.tasks = `${s}.tasks`;
    this.partBytes = opts.partBytes ?? DEFAULT_PART_BYTES;
    this.now = opts.now ?? Date.now;
    this.local = new LocalMediaStore(opts.dataDir);
    this.pool = new pg.Pool({
      connectionString,
      max: opts.poolSize ?? 4,
      options: '-c synchronous_commit=off',
    });
    this.pool.on('error', (err) => opts.log?.warn({ err }, 'idle PostgreSQL connection of the media store failed'));
  }

  async put(taskId: string, name: string, source: Readable, opts: PutOptions): Promise<StoredMedia> {
    assertObjectName(name);
    mediaDir(this.opts.dataDir, taskId); // rejects an unsafe task id
    // A source destroyed before it was read never ends an iteration: fail here instead.
    if (source.destroyed) throw new Error('the stream ended before it was read');
    opts.signal?.throwIfAborted();
    const key = `${KEY_PREFIX}${taskId}/${name}`;
    const now = this.now();
    await this.pool.query(
      `INSERT INTO ${this.objects} (key, task_id, part_bytes, bytes, complete, created_at, updated_at)
       VALUES ($1, $2, $3, 0, FALSE, $4, $4)`,
      [key, taskId, this.partBytes, now],
    );
    try {
      const bytes = await this.writeParts(key, opts.signal ? addAbortSignal(opts.signal, source) : source, opts);
      await this.markComplete(key, bytes);
      return { key, bytes };
    } catch (err) {
      source.destroy();
      await this.pool
        .query(`DELETE FROM ${this.objects} WHERE key = $1`, [key])
        .catch((rmErr: unknown) => this.opts.log?.warn({ err: rmErr, key }, 'could not remove a failed media write'));
      throw err;
    }
  }

  async putFile(taskId: string, file: string, opts: { signal?: AbortSignal } = {}): Promise<StoredMedia> {
    return this.put(taskId, path.basename(file), createReadStream(file), {
      maxBytes: Number.MAX_SAFE_INTEGER,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  async stat(key: string): Promise<{ bytes: number } | null> {
    if (path.isAbsolute(key)) return this.local.stat(key);
    const object = await this.object(key);
    return object === null ? null : { bytes: object.bytes };
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    if (path.isAbsolute(key)) return this.local.read(key, range);
    const object = await this.object(key);
    if (object === null) throw new MediaMissingError(key);
    const start = range?.start ?? 0;
    const end = range?.end ?? object.bytes - 1;
    return new PartReader(
      key,
      (seq, offset, length) => this.fetchPart(key, seq, offset, length),
      object.partBytes,
      start,
      end,
    );
  }

  async materialise(key: string, dir: string, opts: { signal?: AbortSignal } = {}): Promise<string> {
    if (path.isAbsolute(key)) return this.local.materialise(key);
    const source = await this.read(key);
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `media-${key.slice(key.lastIndexOf('/') + 1)}`);
    try {
      await pipeline(source, createWriteStream(file, { flags: 'wx' }), opts.signal ? { signal: opts.signal } : {});
    } catch (err) {
      await rm(file, { force: true });
      throw err;
    }
    return file;
  }

  async remove(taskId: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.objects} WHERE task_id = $1`, [taskId]);
    await this.local.remove(taskId);
  }

  /** A write in progress renews its object's time with every part, so it is never taken for an orphan. */
  async sweepOrphans(before: number): Promise<number> {
    const r = await this.pool.query(
      `DELETE FROM ${this.objects} o WHERE o.updated_at < $1
         AND NOT EXISTS (SELECT 1 FROM ${this.tasks} t WHERE t.id = o.task_id)`,
      [before],
    );
    return r.rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /**
   * Cuts the stream into parts of exactly `partBytes` (the last may be shorter) and inserts each.
   * One insert runs while the next part fills from the stream, so reading the source and writing
   * the database overlap; two part buffers take turns, a buffer being refilled only after the insert
   * that sent it has finished.
   */
  private async writeParts(key: string, source: Readable, opts: PutOptions): Promise<number> {
    let part = Buffer.allocUnsafe(this.partBytes);
    let spare = Buffer.allocUnsafe(this.partBytes);
    let inserting: Promise<void> = Promise.resolve();
    let fill = 0;
    let seq = 0;
    let total = 0;
    try {
      for await (const chunk of source) {
        const bytes: Buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
        total += bytes.length;
        if (total > opts.maxBytes) throw new PayloadTooLargeError(opts.maxBytes);
        let at = 0;
        while (at < bytes.length) {
          const n = Math.min(this.partBytes - fill, bytes.length - at);
          bytes.copy(part, fill, at, at + n);
          fill += n;
          at += n;
          if (fill === this.partBytes) {
            await inserting;
            inserting = this.insertPart(key, seq++, part);
            // Awaited before the next insert or the end; until then a failure must not go unhandled.
            inserting.catch(() => undefined);
            [part, spare] = [spare, part];
            fill = 0;
          }
        }
      }
    } finally {
      // Whatever happened, no statement may still be using a buffer (or the object) after this returns.
      await inserting.catch(() => undefined);
    }
    await inserting;
    if (fill > 0) await this.insertPart(key, seq, part.subarray(0, fill));
    return total;
  }

  /** One statement: the part goes in only while its object is still being written (not removed meanwhile). */
  private async insertPart(key: string, seq: number, data: Buffer): Promise<void> {
    const r = await this.pool.query(
      `WITH o AS (
         UPDATE ${this.objects} SET bytes = bytes + $3, updated_at = $4 WHERE key = $1 AND NOT complete RETURNING key)
       INSERT INTO ${this.parts} (key, seq, data) SELECT key, $2, $5 FROM o`,
      [key, seq, data.length, this.now(), data],
    );
    if (r.rowCount !== 1) throw new Error(`media object ${key} was removed while it was written`);
  }

  /** Makes the object visible, committed synchronously: see the class comment. */
  private async markComplete(key: string, bytes: number): Promise<void> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL synchronous_commit TO on');
      const r = await client.query(
        `UPDATE ${this.objects} SET complete = TRUE, updated_at = $3 WHERE key = $1 AND NOT complete AND bytes = $2`,
        [key, bytes, this.now()],
      );
      if (r.rowCount !== 1) throw new Error(`media object ${key} was removed or changed while it was written`);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch((e: unknown) => {
        broken = e instanceof Error ? e : new Error(String(e));
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  private async object(key: string): Promise<{ bytes: number; partBytes: number } | null> {
    if (!key.startsWith(KEY_PREFIX)) return null;
    const r = await this.pool.query<{ bytes: string; part_bytes: number }>(
      `SELECT bytes, part_bytes FROM ${this.objects} WHERE key = $1 AND complete`,
      [key],
    );
    const row = r.rows[0];
    return row === undefined ? null : { bytes: Number(row.bytes), partBytes: row.part_bytes };
  }

  /**
   * `length` bytes from `offset` of one part. They arrive as hex text (pg cannot read binary results:
   * it decodes every value as UTF-8), twice their size for a moment, decoded natively. Parts are
   * stored uncompressed, so substring() reads only the TOAST chunks the range covers.
   */
  private async fetchPart(key: string, seq: number, offset: number, length: number): Promise<Buffer | null> {
    const r = await this.pool.query<{ data: Buffer }>(
      `SELECT substring(data FROM $3 FOR $4) AS data FROM ${this.parts} WHERE key = $1 AND seq = $2`,
      [key, seq, offset + 1, length],
    );
    return r.rows[0]?.data ?? null;
  }
}
