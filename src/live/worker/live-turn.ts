import { SAMPLE_RATE } from '../../core/task.js';

/**
 * Ask for a hypothesis every 200 ms of turn audio; send one at least every 400 ms (liveness). The
 * promise is a delta at least every 500 ms of wall time while someone speaks: audio arrives in
 * messages of ~100 ms and decoding takes time, so the audio-time cadence keeps a margin.
 */
const PARTIAL_ASK_SAMPLES = SAMPLE_RATE / 5;
const PARTIAL_LIVENESS_SAMPLES = (SAMPLE_RATE * 2) / 5;

/** Session time: 16 kHz samples since open, as ms in events. */
export const msOf = (samples: number): number => Math.round((samples * 1000) / SAMPLE_RATE);
export const samplesOf = (ms: number): number => Math.round((ms * SAMPLE_RATE) / 1000);

/** The turn in progress of a live session. Positions are session samples at 16 kHz. */
export class LiveTurn {
  /** Samples fed to the recognizer (or batched for it) so far. */
  fed = 0;
  /** Server VAD: where the silence that may end the turn began. */
  silenceSince: number | null = null;
  private lastAsk = 0;
  private lastEmit = 0;
  private lastText = '';

  constructor(
    readonly turn: number,
    /** Session sample of the first sample fed (prefix padding included). */
    readonly startSample: number,
  ) {}

  /** Whether the feed that brings the turn to `fed` samples should ask for a partial. */
  partialDue(): boolean {
    return this.fed - this.lastAsk >= PARTIAL_ASK_SAMPLES;
  }

  /** Records an answered ask; returns the text to send, or null when it is neither new nor due for liveness. */
  partialToSend(text: string | null): string | null {
    this.lastAsk = this.fed;
    if (text === null) return null;
    if (text === this.lastText && this.fed - this.lastEmit < PARTIAL_LIVENESS_SAMPLES) return null;
    this.lastText = text;
    this.lastEmit = this.fed;
    return text;
  }
}
