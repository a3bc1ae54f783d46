import { randomUUID } from 'node:crypto';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeToPcm } from '../../src/audio/decode.js';
import { PcmSpool } from '../../src/audio/pcm-spool.js';
import { AbortedError, BadAudioError } from '../../src/core/errors/index.js';
import { longSpeech, makeNonAudio, synthSpeech } from '../helpers/audio-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'earshot-spool-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const spoolPath = (): string => join(dir, `${randomUUID()}.pcm`);

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** A known signal: sample i has value (i * 7) mod 65536 as int16. */
function ramp(n: number): Buffer {
  const b = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i += 1) b.writeInt16LE(((i * 7) & 0xffff) - (((i * 7) & 0x8000) << 1), i * 2);
  return b;
}

/** Cuts `bytes` into blocks of the given sizes (cycled), odd sizes included. */
function blocks(bytes: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0, k = 0; i < bytes.length; k += 1) {
    const size = sizes[k % sizes.length] as number;
    out.push(Buffer.from(bytes.subarray(i, i + size)));
    i += size;
  }
  return out;
}

describe('PcmSpool', () => {
  it('spools odd-sized blocks and reads back exact ranges', async () => {
    const source = ramp(50_000);
    const seen: number[] = [];
    const spool = new PcmSpool(spoolPath());
    try {
      const total = await spool.consume(Readable.from(blocks(source, [3, 1, 4097, 1000, 7])), {
        onSamples: (samples, first) => {
          expect(first).toBe(seen.length);
          seen.push(...samples);
        },
      });
      expect(total).toBe(50_000);
      expect(spool.samplesWritten).toBe(50_000);
      expect(spool.totalSamples).toBe(50_000);
      expect(Buffer.from(Int16Array.from(seen).buffer).equals(source)).toBe(true);
      for (const [a, b] of [
        [0, 10],
        [12_345, 23_456],
        [49_990, 50_000],
        [100, 100],
      ] as const) {
        const got = await spool.readRange(a, b);
        expect(Buffer.from(got.buffer).equals(source.subarray(a * 2, b * 2))).toBe(true);
      }
      // Past the end of a finished spool: clipped, not an error.
      expect((await spool.readRange(49_000, 60_000)).length).toBe(1000);
      expect((await spool.readRange(70_000, 80_000)).length).toBe(0);
    } finally {
      await spool.close();
    }
  });

  it('answers a read issued before the data exists once it is written', async () => {
    const spool = new PcmSpool(spoolPath());
    try {
      const early = spool.readRange(30_000, 30_100);
      const source = ramp(40_000);
      await spool.consume(Readable.from(blocks(source, [8192])));
      const got = await early;
      expect(Buffer.from(got.buffer).equals(source.subarray(60_000, 60_200))).toBe(true);
    } finally {
      await spool.close();
    }
  });

  it('serves reads while spooling is still going on', async () => {
    const spool = new PcmSpool(spoolPath());
    const source = ramp(100_000);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    try {
      const consuming = spool.consume(Readable.from(blocks(source, [16_000])), {
        onSamples: async (_, first) => {
          // Hold the spool after its fourth block until the early read has been answered.
          if (first === 24_000) await gate;
        },
      });
      const got = await spool.readRange(0, 20_000);
      expect(spool.totalSamples).toBeNull();
      expect(Buffer.from(got.buffer).equals(source.subarray(0, 40_000))).toBe(true);
      release();
      expect(await consuming).toBe(100_000);
    } finally {
      await spool.close();
    }
  });

  it('spools a real decode and matches it sample for sample', async () => {
    const wav = await synthSpeech('Spooling keeps the decoded audio on disk.');
    const direct: Buffer[] = [];
    for await (const c of decodeToPcm(wav) as AsyncIterable<Buffer>) direct.push(c);
    const all = Buffer.concat(direct);
    const spool = new PcmSpool(spoolPath());
    try {
      expect(await spool.consume(decodeToPcm(wav))).toBe(all.length / 2);
      const mid = await spool.readRange(8000, 24_000);
      expect(Buffer.from(mid.buffer).equals(all.subarray(16_000, 48_000))).toBe(true);
    } finally {
      await spool.close();
    }
  });

  it('fails pending reads with the decode error', async () => {
    const spool = new PcmSpool(spoolPath());
    try {
      const pending = spool.readRange(0, 16_000);
      const consumed = spool.consume(decodeToPcm(await makeNonAudio()));
      await expect(consumed).rejects.toBeInstanceOf(BadAudioError);
      await expect(pending).rejects.toBeInstanceOf(BadAudioError);
      await expect(spool.readRange(0, 1)).rejects.toBeInstanceOf(BadAudioError);
    } finally {
      await spool.close();
    }
  });

  it('close() stops decoding, fails pending reads and deletes the file', async () => {
    const { path } = await longSpeech(1);
    const file = spoolPath();
    const spool = new PcmSpool(file);
    // Settled (rejected) inside close(), before the assertions below get to it.
    const pending = spool.readRange(0, 16_000 * 3600).then(
      () => null,
      (e: unknown) => e,
    );
    let closing: Promise<void> | null = null;
    const consumed = spool.consume(decodeToPcm(path), {
      onProgress: () => {
        closing ??= spool.close();
      },
    });
    await expect(consumed).rejects.toBeInstanceOf(AbortedError);
    expect(await pending).toBeInstanceOf(AbortedError);
    await closing;
    expect(await exists(file)).toBe(false);
    await spool.close();
  });

  it('pulls from the source only as fast as onSamples consumes (backpressure)', async () => {
    let produced = 0;
    const source = new Readable({
      highWaterMark: 4096,
      read() {
        produced += 1;
        this.push(produced > 1000 ? null : Buffer.alloc(4096));
      },
    });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let calls = 0;
    const spool = new PcmSpool(spoolPath());
    const done = spool.consume(source, {
      onSamples: async () => {
        calls += 1;
        if (calls === 1) await gate;
      },
    });
    // Observed even if an assertion below fails first (close() then rejects it on purpose).
    const outcome = done.then(
      (total) => total,
      (err: unknown) => err,
    );
    try {
      // The first block is on disk: its write ran alongside the held onSamples and has finished.
      // Reading it back is file I/O, so a consumer that did not wait for onSamples would have taken
      // the next blocks (all queued in memory, microtasks away) before this read returns.
      await spool.readRange(0, 2048);
      expect(calls).toBe(1);
      // The block being held, the one the stream buffers (its high-water mark) and one in transit.
      expect(produced).toBeLessThanOrEqual(3);
      release();
      expect(await outcome).toBe(1000 * 2048);
    } finally {
      release();
      await spool.close();
      await outcome;
    }
  });

  it('rejects bad ranges', async () => {
    const spool = new PcmSpool(spoolPath());
    await expect(spool.readRange(10, 5)).rejects.toThrow(RangeError);
    await expect(spool.readRange(-1, 5)).rejects.toThrow(RangeError);
    await expect(spool.readRange(0.5, 5)).rejects.toThrow(RangeError);
    await spool.close();
  });
});
