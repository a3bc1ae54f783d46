import type { Segment } from '../core/transcript.js';

/** What a chunk recognition call may be told. */
export interface RecognizeOptions {
  /** BCP-47-ish language code the user asked for ("en", "auto", ...); engines that cannot honour it say so. */
  language: string;
  /** Fires on cancel, shutdown or a lost lease; the engine must stop (and may need to restart its process). */
  signal?: AbortSignal;
}

/**
 * A speech engine instance. It is loaded once and then recognises many chunks, one at a time; a pool
 * runs several instances for parallelism. Implementations keep their CPU work off the caller's event
 * loop (a child process or a worker thread).
 */
export interface Engine {
  /** Stable engine name, e.g. "pocketsphinx". */
  readonly name: string;
  /** Loads the model. Must be called (and awaited) once before `recognize`. */
  load(): Promise<void>;
  /**
   * Recognises one chunk of 16 kHz mono signed 16-bit PCM. Returned times are seconds relative to
   * the chunk start. Rejects with EngineError on crash/garbage (retryable), AbortedError on abort.
   * An instance whose process died recovers on the next call.
   */
  recognize(pcm: Int16Array, opts: RecognizeOptions): Promise<Segment[]>;
  /** Frees the model and any process/thread; the instance is unusable afterwards. */
  release(): Promise<void>;
}

/** Makes engine instances; the pool calls it once per slot. */
export type EngineFactory = () => Engine;
