import type { Word } from '../core/transcript.js';

/** The final result of one utterance: words timed in seconds from the utterance's first sample. */
export interface UtteranceResult {
  text: string;
  words: Word[];
}

/**
 * An engine instance that recognises audio while it arrives (live sessions), one utterance at a
 * time: `begin`, any number of `feed`s, then `finish` (result) or `abandon` (none). Calls are made
 * one after another, never concurrently. Like `Engine`, its CPU work runs outside the caller's
 * event loop (a child process).
 */
export interface StreamingRecognizer {
  readonly name: string;
  /** Loads the model; called (and awaited) once before anything else. */
  load(): Promise<void>;
  /** Starts an utterance, with no state carried over from earlier ones. An unfinished one is dropped. */
  begin(): Promise<void>;
  /**
   * Feeds 16 kHz mono PCM of the open utterance. With `partial: true` it resolves with the text
   * recognised so far (a hypothesis: later audio may revise earlier words); otherwise with null.
   */
  feed(pcm: Int16Array, opts: { partial: boolean }): Promise<string | null>;
  /** Ends the open utterance and resolves with its final words. */
  finish(): Promise<UtteranceResult>;
  /** Drops the open utterance without a result (the client cleared its buffer). */
  abandon(): Promise<void>;
  /** Frees the model and process; the instance is unusable afterwards. */
  release(): Promise<void>;
}

/** Makes streaming recognizers; null when the configured engine cannot recognise incrementally. */
export type StreamingRecognizerFactory = () => StreamingRecognizer;
