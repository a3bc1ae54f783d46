import { SpeechDetector } from '../../audio/vad.js';
import type { TurnDetection } from '../live-settings.js';

/** What a session needs of a voice activity detector: speech probabilities of 512-sample frames. */
export interface LiveVad {
  /** Classifies every complete 512-sample window now available (windows counted from its first sample). */
  push(pcm: Int16Array): Promise<Array<{ prob: number }>>;
  release(): Promise<void>;
}

/** Loads one VAD instance (its own model state) for one session. */
export type LiveVadLoader = () => Promise<LiveVad>;

/** Silero through the file pipeline's SpeechDetector; only its per-frame probabilities are used. */
export const loadSileroVad: LiveVadLoader = () => SpeechDetector.create();

/**
 * Speech starts at `threshold`, but only a probability below threshold - 0.15 counts as silence
 * (Silero's own hysteresis, as in speech-segmenter.ts), so a wavering frame inside a word neither
 * ends the turn nor restarts the silence count.
 */
const SILENCE_HYSTERESIS = 0.15;

export function isSilence(prob: number, td: TurnDetection): boolean {
  return prob < Math.max(td.threshold - SILENCE_HYSTERESIS, 0.01);
}
