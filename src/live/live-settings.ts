/** Sample rates a live client may send (PCM16 little-endian, mono). 24 kHz is OpenAI's default. */
export const LIVE_INPUT_RATES = [24000, 16000] as const;
export type LiveInputRate = (typeof LIVE_INPUT_RATES)[number];

/** Server-side turn detection (OpenAI's `server_vad`), in the protocol's own units. */
export interface TurnDetection {
  /** Silero speech probability at which speech starts, 0..1. */
  threshold: number;
  /** Audio kept from before the detected speech start and fed with the turn, ms. */
  prefixPaddingMs: number;
  /** Silence that ends a turn, ms. */
  silenceDurationMs: number;
}

/** One live session's settings: all of a session's choices, owned by the session alone. */
export interface LiveSettings {
  inputRate: LiveInputRate;
  language: string;
  /** null: manual turns, the client commits. */
  turnDetection: TurnDetection | null;
}

/** OpenAI's server_vad defaults, used when a client asks for server_vad without values. */
export const DEFAULT_TURN_DETECTION: Readonly<TurnDetection> = Object.freeze({
  threshold: 0.5,
  prefixPaddingMs: 300,
  silenceDurationMs: 500,
});

/** Bounds a client's turn-detection values must respect. */
export const TURN_DETECTION_RANGE = Object.freeze({
  prefixPaddingMs: { min: 0, max: 2000 },
  silenceDurationMs: { min: 100, max: 5000 },
});

/**
 * Longest turn: a turn that reaches it without a pause (server VAD) or a commit (manual) is
 * ended there, as if committed, so one turn's decoder state and audio stay bounded.
 */
export const MAX_TURN_SECONDS = 60;
