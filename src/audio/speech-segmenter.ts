import { SAMPLE_RATE } from '../core/task.js';

/** Silero's window at 16 kHz: one speech probability per 512 samples (32 ms). */
export const VAD_FRAME_SAMPLES = 512;

/** A stretch of speech, padded, in samples at 16 kHz: [startSample, endSample). */
export interface SpeechRegion {
  startSample: number;
  endSample: number;
}

/** What the VAD knows after one frame; the chunk planner consumes these in order. */
export interface VadFrame {
  /** First sample of the frame (a multiple of VAD_FRAME_SAMPLES). */
  startSample: number;
  /** Silero's speech probability for the frame. */
  prob: number;
  /**
   * Padded start of the speech region in progress, or null in silence. Tentative: a region that
   * ends up shorter than `minSpeechMs` is dropped, but no region can start before it.
   */
  openStart: number | null;
  /** The region that this frame confirmed as finished (after `minSilenceMs` of silence), if any. */
  ended: SpeechRegion | null;
}

/** Hysteresis settings, as in Silero's get_speech_timestamps. */
export interface SegmenterOptions {
  /** Speech starts when a frame's probability reaches this. Default 0.5. */
  threshold?: number;
  /** Speech ends only after probabilities stay below this. Default threshold - 0.15. */
  negThreshold?: number;
  /** Silence needed to end a region; shorter pauses stay inside it. Default 300 ms. */
  minSilenceMs?: number;
  /** Regions shorter than this (clicks, breaths) are dropped. Default 250 ms. */
  minSpeechMs?: number;
  /** Added on both sides so word onsets and tails are not clipped. Default 100 ms, at most minSilenceMs / 2. */
  speechPadMs?: number;
}

const ms = (v: number): number => Math.round((v * SAMPLE_RATE) / 1000);

/**
 * Turns per-frame speech probabilities into speech regions. Pure and incremental: state is a few
 * numbers, so it runs over a recording of any length in constant memory, and the same
 * probabilities always give the same regions.
 */
export class SpeechSegmenter {
  private readonly threshold: number;
  private readonly negThreshold: number;
  private readonly minSilence: number;
  private readonly minSpeech: number;
  private readonly pad: number;
  private frames = 0;
  private start: number | null = null;
  private tempEnd: number | null = null;

  constructor(opts: SegmenterOptions = {}) {
    this.threshold = opts.threshold ?? 0.5;
    this.negThreshold = opts.negThreshold ?? Math.max(this.threshold - 0.15, 0.01);
    this.minSilence = ms(opts.minSilenceMs ?? 300);
    this.minSpeech = ms(opts.minSpeechMs ?? 250);
    // Two padded neighbours must never overlap: they are at least minSilence apart.
    this.pad = Math.min(ms(opts.speechPadMs ?? 100), Math.floor(this.minSilence / 2));
  }

  /** Samples covered by the frames seen so far. */
  get processedSamples(): number {
    return this.frames * VAD_FRAME_SAMPLES;
  }

  /** Feeds the probability of the next frame. */
  next(prob: number): VadFrame {
    const startSample = this.frames * VAD_FRAME_SAMPLES;
    this.frames += 1;
    let ended: SpeechRegion | null = null;

    if (prob >= this.threshold) {
      this.tempEnd = null;
      this.start ??= startSample;
    } else if (prob < this.negThreshold && this.start !== null) {
      this.tempEnd ??= startSample;
      if (startSample - this.tempEnd >= this.minSilence) {
        ended = this.close(this.tempEnd, this.tempEnd + this.pad);
      }
    }
    const openStart = this.start === null ? null : Math.max(0, this.start - this.pad);
    return { startSample, prob, openStart, ended };
  }

  /** Ends the stream at `totalSamples`; returns the region that was still open, if long enough. */
  finish(totalSamples: number): SpeechRegion | null {
    if (this.start === null) return null;
    const rawEnd = Math.min(this.tempEnd ?? totalSamples, totalSamples);
    return this.close(rawEnd, Math.min(rawEnd + this.pad, totalSamples));
  }

  private close(rawEnd: number, paddedEnd: number): SpeechRegion | null {
    const start = this.start ?? 0;
    this.start = null;
    this.tempEnd = null;
    if (rawEnd - start < this.minSpeech) return null;
    return { startSample: Math.max(0, start - this.pad), endSample: paddedEnd };
  }
}
