import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { MediaMissingError, PayloadTooLargeError } from '../../src/core/errors/index.js';
import { mediaDir } from '../../src/services/media-files.js';
import type { MediaStore } from '../../src/storage/media-store.js';
import { mulberry32 } from '../helpers/prng.js';

/** What the suite needs to know about an adapter beyond the interface. */
export interface MediaStoreHarness {
  store: () => MediaStore;
  /** The data directory the store was made with. */
  dataDir: string;
  /** The part size the adapter was made with (ranges are checked across its boundaries); 0 when it has none. */
  partBytes: number;
  /** How many objects (complete or not) the adapter holds for `taskId`, however it keeps them. */
  leftovers: (taskId: string) => Promise<number>;
}

/** Deterministic bytes, different for every seed. */
export function bytesOf(n: number, seed: number): Buffer {
  const next = mulberry32(seed);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
  return out;
}

/** A stream of `data` in pieces of 1..max bytes (never aligned with the store's parts). */
function piecewise(data: Buffer, max: number, seed: number): Readable {
  const next = mulberry32(seed);
  const pieces: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    const n = 1 + Math.floor(next() * max);
    pieces.push(data.subarray(at, at + n));
    at += n;
  }
  return Readable.from(pieces, { objectMode: false });
}

/** Yields `data`, then fails: an upload cut off mid-way. */
function cutOff(data: Buffer): Readable {
  return Readable.from(
    (async function* () {
      yield data;
      throw new Error('connection reset');
    })(),
    { objectMode: false },
  );
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** One behaviour for every MediaStore adapter. */
export function mediaStoreConformance(name: string, h: MediaStoreHarness): void {
  describe(`MediaStore conformance: ${name}`, () => {
    const size = Math.max(h.partBytes, 1024) * 5 + 123;

    it('stores a stream and reads it back whole; stat tells its size', async () => {
      const media = h.store();
      const id = randomUUID();
      const data = bytesOf(size, 1);
      const stored = await media.put(id, 'input.mp3', piecewise(data, 700, 2), { maxBytes: size });
      expect(stored.bytes).toBe(size);
      expect(path.extname(stored.key)).toBe('.mp3');
      expect(await media.stat(stored.key)).toEqual({ bytes: size });
      expect(sha(await buffer(await media.read(stored.key)))).toBe(sha(data));
      expect(await h.leftovers(id)).toBe(1);
    });

    it('reads ranges: first and last byte, across and on part boundaries, and at random', async () => {
      const media = h.store();
      const data = bytesOf(size, 3);
      const { key } = await media.put(randomUUID(), 'input.wav', piecewise(data, 5000, 4), { maxBytes: size });
      const p = Math.max(h.partBytes, 1000);
      const ranges = [
        [0, 0],
        [size - 1, size - 1],
        [0, size - 1],
        [p - 1, p],
        [p, 2 * p - 1],
        [p, p],
        [2 * p - 3, 4 * p + 7],
        [size - 200, size - 1],
      ];
      const next = mulberry32(5);
      for (let i = 0; i < 20; i++) {
        const a = Math.floor(next() * size);
        ranges.push([a, a + Math.floor(next() * (size - a))]);
      }
      for (const [start = 0, end = 0] of ranges) {
        const got = await buffer(await media.read(key, { start, end }));
        expect(got.equals(data.subarray(start, end + 1)), `bytes ${start}-${end}`).toBe(true);
      }
    });

    it('stores an empty object', async () => {
      const media = h.store();
      const { key, bytes } = await media.put(randomUUID(), 'input', Readable.from([]), { maxBytes: 10 });
      expect(bytes).toBe(0);
      expect(await media.stat(key)).toEqual({ bytes: 0 });
      expect((await buffer(await media.read(key))).length).toBe(0);
    });

    it('remove() deletes every object of the task, and only of that task; idempotent', async () => {
      const media = h.store();
      const [a, b] = [randomUUID(), randomUUID()];
      const one = await media.put(a, 'input.ogg', Readable.from([bytesOf(3000, 6)]), { maxBytes: 1e6 });
      const other = await media.put(b, 'input.ogg', Readable.from([bytesOf(3000, 7)]), { maxBytes: 1e6 });
      await media.remove(a);
      expect(await media.stat(one.key)).toBeNull();
      await expect(media.read(one.key)).rejects.toBeInstanceOf(MediaMissingError);
      await expect(media.materialise(one.key, path.join(h.dataDir, 'work', a))).rejects.toBeInstanceOf(
        MediaMissingError,
      );
      expect(await h.leftovers(a)).toBe(0);
      await media.remove(a);
      expect(await media.stat(other.key)).toEqual({ bytes: 3000 });
    });

    it('a put cut off mid-stream fails and leaves nothing; the task can be stored again', async () => {
      const media = h.store();
      const id = randomUUID();
      await expect(media.put(id, 'input.mp3', cutOff(bytesOf(size, 8)), { maxBytes: size * 2 })).rejects.toThrow(
        /connection reset/,
      );
      expect(await h.leftovers(id)).toBe(0);
      const again = await media.put(id, 'input.mp3', Readable.from([bytesOf(10, 9)]), { maxBytes: 100 });
      expect(await media.stat(again.key)).toEqual({ bytes: 10 });
    });

    it('a put aborted by its signal fails and leaves nothing', async () => {
      const media = h.store();
      const id = randomUUID();
      const abort = new AbortController();
      let sent = 0;
      const endless = new Readable({
        read() {
          sent += 4096;
          if (sent > size) abort.abort(new Error('client went away'));
          this.push(bytesOf(4096, sent));
        },
      });
      await expect(media.put(id, 'input', endless, { maxBytes: 1e9, signal: abort.signal })).rejects.toThrow();
      expect(await h.leftovers(id)).toBe(0);
    });

    it('refuses more than maxBytes with PayloadTooLargeError and keeps nothing; exactly maxBytes is fine', async () => {
      const media = h.store();
      const id = randomUUID();
      const data = bytesOf(size, 10);
      await expect(media.put(id, 'input', piecewise(data, 999, 11), { maxBytes: size - 1 })).rejects.toBeInstanceOf(
        PayloadTooLargeError,
      );
      expect(await h.leftovers(id)).toBe(0);
      const ok = await media.put(id, 'input', piecewise(data, 999, 12), { maxBytes: size });
      expect(ok.bytes).toBe(size);
    });

    it('refuses unsafe names and task ids', async () => {
      const media = h.store();
      await expect(media.put(randomUUID(), '../x', Readable.from([]), { maxBytes: 1 })).rejects.toThrow(/unsafe/);
      await expect(media.put('../..', 'input', Readable.from([]), { maxBytes: 1 })).rejects.toThrow(/unsafe/);
    });

    it('putFile() stores a spooled upload, leaving the spooled file to the caller; materialise() gives a readable local file', async () => {
      const media = h.store();
      const id = randomUUID();
      const data = bytesOf(size, 13);
      const dir = mediaDir(h.dataDir, id);
      await mkdir(dir, { recursive: true });
      const spool = path.join(dir, 'input.flac');
      await writeFile(spool, data);
      const stored = await media.putFile(id, spool);
      expect(stored.bytes).toBe(size);
      expect(await readFile(spool)).toEqual(data);
      if (media.kind === 'local') expect(stored.key).toBe(spool);
      const work = path.join(h.dataDir, 'work', id);
      const local = await media.materialise(stored.key, work);
      expect(path.extname(local)).toBe('.flac');
      expect(sha(await readFile(local))).toBe(sha(data));
      if (media.kind === 'local') expect(local).toBe(spool);
      else expect(path.dirname(local)).toBe(work);
    });

    it('keeps concurrent puts of different tasks apart', async () => {
      const media = h.store();
      const items = Array.from({ length: 6 }, (_, i) => ({ id: randomUUID(), data: bytesOf(size + i * 77, 20 + i) }));
      const stored = await Promise.all(
        items.map((it, i) => media.put(it.id, 'input.m4a', piecewise(it.data, 3000, 40 + i), { maxBytes: 1e9 })),
      );
      for (const [i, s] of stored.entries()) {
        expect(sha(await buffer(await media.read(s.key)))).toBe(sha(items[i]?.data ?? Buffer.alloc(0)));
      }
    });
  });
}
