import { type FileHandle, open, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { AbortedError } from '../core/errors/aborted.error.js';
import { BYTES_PER_SAMPLE } from './decode.js';

export interface SpoolConsumeOptions {
  /**
   * Receives every decoded sample exactly once, in order, in blocks of any size (the VAD frames
   * them itself). The block is only valid during the call. Awaited: a slow consumer slows decoding
   * instead of buffering.
   */
  onSamples?: (samples: Int16Array, firstSample: number) => void | Promise<void>;
  /** Called after each block reaches the spool file, with the new `samplesWritten`. */
  onProgress?: (samplesWritten: number) => void;
}

interface Waiter {
  sample: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The decoded recording on disk. Decoding happens once, streamed; recognition later needs random
 * access to chunks (out of order, in parallel, possibly before decoding has finished), so the PCM
 * goes to a spool file and chunks are read back with positioned reads. Memory stays bounded by the
 * chunk being read, never the recording.
 *
 * Samples are 16-bit little-endian, which is also the in-memory Int16Array layout on every platform
 * Node runs Earshot on (x86-64, arm64).
 */
export class PcmSpool {
  private readonly handle: Promise<FileHandle>;
  private written = 0;
  private total: number | null = null;
  private failure: Error | null = null;
  private closed = false;
  private waiters: Waiter[] = [];
  private source: Readable | null = null;

  /** Creates (truncating) the spool file at `path`. Call `close()` to delete it. */
  constructor(readonly path: string) {
    this.handle = open(path, 'w+');
    // Surfaced by consume/readRange; without this an early close() would leave it unhandled.
    this.handle.catch(() => undefined);
  }

  /** Samples on disk so far: the watermark below which `readRange` never waits. */
  get samplesWritten(): number {
    return this.written;
  }

  /** Length of the recording in samples once the whole stream has been spooled; null until then. */
  get totalSamples(): number | null {
    return this.total;
  }

  /**
   * Reads `pcm` (s16le bytes) to the end, writing it to the spool and handing each block to
   * `onSamples`. Resolves with the total number of samples. Rejects with the stream's error (a
   * BadAudioError from decoding, AbortedError), which also fails every pending `readRange`. One call
   * per spool.
   */
  async consume(pcm: Readable, opts: SpoolConsumeOptions = {}): Promise<number> {
    if (this.source) throw new Error('PcmSpool.consume may only be called once');
    this.source = pcm;
    try {
      const fh = await this.handle;
      // A pipe read can end mid-sample; the odd byte waits for the next block.
      let carry: Buffer | null = null;
      for await (const chunk of pcm as AsyncIterable<Buffer>) {
        const data: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
        const usable = data.length - (data.length % BYTES_PER_SAMPLE);
        carry = usable < data.length ? Buffer.from(data.subarray(usable)) : null;
        if (usable === 0) continue;
        let block = data.subarray(0, usable);
        // Int16Array views need an even byte offset; pipe buffers nearly always have one.
        if (block.byteOffset % BYTES_PER_SAMPLE !== 0) block = Buffer.from(block);
        const first = this.written;
        const samples = new Int16Array(block.buffer, block.byteOffset, usable / BYTES_PER_SAMPLE);
        await Promise.all([this.append(fh, block, first), opts.onSamples?.(samples, first)]);
        opts.onProgress?.(this.written);
      }
      if (this.closed) throw new AbortedError('spool closed');
      this.total = this.written;
      this.settle();
      return this.total;
    } catch (err: unknown) {
      // After close() the source was destroyed on purpose; its premature-close error is noise.
      const error = this.closed
        ? new AbortedError('spool closed')
        : err instanceof Error
          ? err
          : new Error(String(err));
      this.failure ??= error;
      this.settle();
      throw error;
    }
  }

  private async append(fh: FileHandle, block: Buffer, firstSample: number): Promise<void> {
    let done = 0;
    while (done < block.length) {
      const { bytesWritten } = await fh.write(block, done, block.length - done, firstSample * BYTES_PER_SAMPLE + done);
      done += bytesWritten;
    }
    this.written = firstSample + block.length / BYTES_PER_SAMPLE;
    this.settle();
  }

  /** Wakes every waiter whose range is now on disk, or fails them all. */
  private settle(): void {
    const failure = this.failure ?? (this.closed ? new AbortedError('spool closed') : null);
    const ready = this.waiters.filter((w) => failure || this.total !== null || w.sample <= this.written);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) {
      if (failure) w.reject(failure);
      else w.resolve();
    }
  }

  private until(sample: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new AbortedError('spool closed'));
    if (this.total !== null || sample <= this.written) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ sample, resolve, reject });
    });
  }

  /**
   * Samples [startSample, endSample), waiting (without polling) until they are on disk. A range past
   * the end of a fully spooled recording is clipped to it. Rejects if spooling failed or the spool
   * was closed.
   */
  async readRange(startSample: number, endSample: number): Promise<Int16Array> {
    if (!Number.isInteger(startSample) || !Number.isInteger(endSample) || startSample < 0 || endSample < startSample) {
      throw new RangeError(`bad sample range [${startSample}, ${endSample})`);
    }
    await this.until(endSample);
    const stop = this.total === null ? endSample : Math.min(endSample, this.total);
    const out = new Int16Array(Math.max(0, stop - startSample));
    const bytes = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    const fh = await this.handle;
    let done = 0;
    while (done < bytes.length) {
      const { bytesRead } = await fh.read(bytes, done, bytes.length - done, startSample * BYTES_PER_SAMPLE + done);
      if (bytesRead === 0) throw new Error(`spool ${this.path} is shorter than its watermark`);
      done += bytesRead;
    }
    return out;
  }

  /**
   * Stops spooling (destroying the source stream, which kills its ffmpeg), fails pending reads with
   * AbortedError, closes and deletes the spool file. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.settle();
    if (this.source && this.total === null && !this.source.destroyed) this.source.destroy();
    try {
      // FileHandle.close waits for in-flight reads and writes, so none lands after the unlink.
      await (await this.handle).close();
    } catch {
      // Never opened, or already closed: nothing to release.
    }
    await rm(this.path, { force: true });
  }
}
