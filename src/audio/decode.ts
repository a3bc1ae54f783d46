import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { createReadStream, type ReadStream } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { AbortedError } from '../core/errors/aborted.error.js';
import { BadAudioError } from '../core/errors/bad-audio.error.js';
import { SAMPLE_RATE } from '../core/task.js';
import {
  assertReadableFile,
  describeMediaFailure,
  ffmpegInput,
  oneLine,
  StderrTail,
  usefulDetail,
} from './media-errors.js';
import { readPcmWavLayout } from './wav-probe.js';

/** Bytes per decoded sample: signed 16-bit little-endian, one channel. */
export const BYTES_PER_SAMPLE = 2;

export interface DecodeOptions {
  /** Kills ffmpeg and errors the stream with AbortedError when it fires. */
  signal?: AbortSignal;
  /** Start decoding here instead of at 0 (input seeking: ffmpeg skips without decoding what it can). */
  startSeconds?: number;
  /**
   * Duration the container claims (from probeMedia). When the decoded audio is less than half of it
   * the file is treated as truncated: ffmpeg happily decodes the first seconds of a cut-off upload
   * and exits 0, and a silently partial transcript is worse than a clear error.
   */
  expectedSeconds?: number | null;
  /** Default "ffmpeg" from PATH. */
  ffmpegPath?: string;
  /** Output sample rate; default the pipeline's SAMPLE_RATE (16 kHz). Live clients may send 24 kHz. */
  sampleRate?: number;
  /**
   * Read a WAV that already holds mono 16-bit PCM at the output rate straight from the file instead
   * of through ffmpeg (default true). Starting ffmpeg costs tens of milliseconds per file, a
   * noticeable part of a short clip's fixed cost, and for such a file it would only copy bytes.
   */
  readWavDirectly?: boolean;
}

/**
 * Decodes any input ffmpeg understands to mono s16le PCM (16 kHz unless `sampleRate` says otherwise), streamed from an ffmpeg child
 * process (or straight from the file when it is a WAV of exactly that: `readWavDirectly`); nothing is buffered beyond the stream's high-water mark, so memory does not depend on
 * the recording's length. A missing/empty file, a failing ffmpeg, or a file that yields no audio
 * error the stream with BadAudioError (one line, ffmpeg's useful last words); `signal` errors it
 * with AbortedError. Destroying the stream kills ffmpeg.
 */
export function decodeToPcm(path: string, opts: DecodeOptions = {}): PcmDecodeStream {
  return new PcmDecodeStream(path, opts);
}

/** Only trust the truncation check when the claim is big enough to be meaningful. */
const TRUNCATION_MIN_MISSING_SECONDS = 1;

/**
 * The stream `decodeToPcm` returns. Its 'close' event comes only after ffmpeg has exited, so a
 * caller that awaits it knows no decoder process is left behind.
 */
export class PcmDecodeStream extends Readable {
  private child: ChildProcessByStdio<null, Readable, Readable> | null = null;
  /** Set instead of `child` when the samples are read straight from a PCM WAV. */
  private file: ReadStream | null = null;
  private readonly stderr = new StderrTail();
  private bytes = 0;
  private readonly onAbort = (): void => {
    this.destroy(new AbortedError());
  };

  constructor(
    private readonly path: string,
    private readonly opts: DecodeOptions,
  ) {
    // 64 KiB = 2 s of audio: enough to keep ffmpeg busy, small enough not to matter.
    super({ highWaterMark: 64 * 1024 });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    const { signal } = this.opts;
    if (signal?.aborted) {
      callback(new AbortedError());
      return;
    }
    assertReadableFile(this.path)
      .then(() => (this.opts.readWavDirectly === false ? null : readPcmWavLayout(this.path).catch(() => null)))
      .then((wav) => {
        if (this.destroyed) return callback();
        if (signal?.aborted) return callback(new AbortedError());
        signal?.addEventListener('abort', this.onAbort, { once: true });
        if (wav !== null && wav.channels === 1 && wav.bitsPerSample === 16 && wav.sampleRate === this.rate) {
          this.readFile(wav.dataOffset, wav.dataBytes);
        } else {
          this.spawnFfmpeg();
        }
        callback();
      }, callback);
  }

  /** Streams the samples of a WAV whose layout is already the output's. */
  private readFile(dataOffset: number, dataBytes: number): void {
    const skip = Math.round(Math.max(0, this.opts.startSeconds ?? 0) * this.rate) * BYTES_PER_SAMPLE;
    // A trailing odd byte is half a sample; ffmpeg drops it too.
    const end = dataOffset + dataBytes - (dataBytes % BYTES_PER_SAMPLE);
    const start = dataOffset + skip;
    const noAudio = (): BadAudioError => new BadAudioError(`no audio could be decoded from ${basename(this.path)}`);
    if (start >= end) {
      // A start past the end is no audio, as ffmpeg would report it.
      process.nextTick(() => this.destroy(noAudio()));
      return;
    }
    const file = createReadStream(this.path, { start, end: end - 1, highWaterMark: 64 * 1024 });
    this.file = file;
    file.on('data', (chunk) => {
      const buf = chunk as Buffer;
      this.bytes += buf.length;
      if (!this.push(buf)) file.pause();
    });
    file.on('error', (err) => this.destroy(err));
    file.on('end', () => {
      this.opts.signal?.removeEventListener('abort', this.onAbort);
      if (this.destroyed) return;
      this.push(null);
    });
  }

  private spawnFfmpeg(): void {
    const { startSeconds, ffmpegPath = 'ffmpeg' } = this.opts;
    const seek = startSeconds && startSeconds > 0 ? ['-ss', startSeconds.toFixed(3)] : [];
    const args = ['-nostdin', '-v', 'error', ...seek, ...ffmpegInput(this.path), '-vn', '-sn', '-dn'];
    args.push('-ac', '1', '-ar', String(this.rate), '-f', 's16le', 'pipe:1');
    const child = spawn(ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;

    child.stdout.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      // Backpressure: stop reading the pipe (ffmpeg then blocks on write) until the consumer asks.
      if (!this.push(chunk)) child.stdout.pause();
    });
    child.stderr.on('data', (chunk: Buffer) => this.stderr.push(chunk));
    child.on('error', (err) => {
      this.destroy(new Error(`cannot run ${ffmpegPath}: ${err.message}`, { cause: err }));
    });
    // 'close' comes after stdout has been fully read, so every decoded byte was pushed by now.
    child.on('close', (code, sig) => {
      this.opts.signal?.removeEventListener('abort', this.onAbort);
      if (this.destroyed) return;
      const failure = this.checkExit(code, sig);
      if (failure) this.destroy(failure);
      else this.push(null);
    });
  }

  private checkExit(code: number | null, sig: NodeJS.Signals | null): Error | null {
    const name = basename(this.path);
    // Killed by someone else (the OOM killer, an operator): says nothing about the file, so not a
    // BadAudioError, which would fail the task for good.
    if (sig) return new Error(`ffmpeg was killed by ${sig} while decoding ${name}`);
    if (code !== 0) {
      return new BadAudioError(describeMediaFailure(this.stderr.lines(), this.path, `ffmpeg exited with code ${code}`));
    }
    if (this.bytes < BYTES_PER_SAMPLE) {
      const detail = usefulDetail(this.stderr.lines(), this.path);
      return new BadAudioError(oneLine(`no audio could be decoded from ${name}${detail ? ` (${detail})` : ''}`));
    }
    const expected = (this.opts.expectedSeconds ?? 0) - (this.opts.startSeconds ?? 0);
    const decoded = this.bytes / BYTES_PER_SAMPLE / this.rate;
    if (expected > 0 && decoded < expected / 2 && expected - decoded > TRUNCATION_MIN_MISSING_SECONDS) {
      return new BadAudioError(
        `${name} looks truncated or corrupt: decoded ${decoded.toFixed(1)} s of the ${expected.toFixed(1)} s it claims`,
      );
    }
    return null;
  }

  private get rate(): number {
    return this.opts.sampleRate ?? SAMPLE_RATE;
  }

  /** ffmpeg's process id, once spawned (for diagnostics and tests); undefined when reading directly. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** True when the samples come straight from the file, without ffmpeg. */
  get direct(): boolean {
    return this.file !== null;
  }

  override _read(): void {
    this.child?.stdout.resume();
    this.file?.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    if (this.file) {
      this.file.destroy();
      callback(error);
      return;
    }
    const child = this.child;
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      callback(error);
      return;
    }
    // SIGKILL: ffmpeg holds nothing worth a clean shutdown, and the consumer has stopped reading.
    child.once('exit', () => callback(error));
    child.kill('SIGKILL');
    child.stdout.destroy();
  }
}
