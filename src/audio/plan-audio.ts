import type { ChunkPlan } from '../core/task.js';
import { SAMPLE_RATE } from '../core/task.js';
import { ChunkPlanner, type ChunkPlannerOptions } from './chunk-planner.js';
import { decodeToPcm } from './decode.js';
import { PcmSpool } from './pcm-spool.js';
import { SpeechDetector, type SpeechDetectorOptions } from './vad.js';

/** Options shared by full analysis and plain spooling. */
export interface SpoolingOptions {
  /** Where the decoded PCM goes; the file is deleted by `spool.close()`. */
  spoolPath: string;
  /** Stops decoding (ffmpeg is killed) and rejects `done` with AbortedError. */
  signal?: AbortSignal;
  /** Duration from probeMedia, if known; lets decoding detect truncated files. */
  durationSeconds?: number | null;
  /** Seconds decoded so far (for progress and ETA), after every block of about 2 s. */
  onProgress?: (decodedSeconds: number) => void;
}

export interface SpoolOnlyOptions extends SpoolingOptions {
  /** Decode from here (whole seconds keep sample positions exact); the spool's sample 0 is this time. */
  startSeconds?: number;
}

export interface AnalyseOptions extends SpoolingOptions, ChunkPlannerOptions {
  /** VAD hysteresis and threads; defaults suit speech. */
  vad?: SpeechDetectorOptions;
  /**
   * Called with each chunk as soon as it is planned, in index order, while decoding continues. Its
   * samples are already readable from the spool. Awaited, so a store write here is never overtaken
   * by the next chunk.
   */
  onChunk?: (plan: ChunkPlan) => void | Promise<void>;
}

export interface AnalysisResult {
  /** Length of the decoded recording, in samples at 16 kHz. */
  totalSamples: number;
  /** Every planned chunk, in index order (empty for a recording without speech). */
  chunks: ChunkPlan[];
}

/** A running analysis: the spool is usable (readRange waits for data) before `done` settles. */
export interface AudioAnalysis {
  spool: PcmSpool;
  done: Promise<AnalysisResult>;
}

/** A running plain spooling (no VAD), for resumed tasks whose plan is already stored. */
export interface AudioSpooling {
  spool: PcmSpool;
  done: Promise<{ totalSamples: number }>;
}

/**
 * Decodes `path` once and, in the same pass, spools the PCM to disk, runs the VAD and plans chunks,
 * handing each chunk to `onChunk` as soon as it is final. The caller owns the spool and must
 * `close()` it (also on failure). `done` rejects with BadAudioError for undecodable input and
 * AbortedError when `signal` fires; a recording with no speech resolves with no chunks.
 */
export function startAnalysis(path: string, opts: AnalyseOptions): AudioAnalysis {
  const spool = new PcmSpool(opts.spoolPath);
  const done = (async (): Promise<AnalysisResult> => {
    // The model loads first: a decode stream created earlier could error with nobody listening yet.
    const detector = await SpeechDetector.create(opts.vad);
    try {
      const pcm = decodeToPcm(path, { signal: opts.signal, expectedSeconds: opts.durationSeconds });
      const planner = new ChunkPlanner(opts);
      const chunks: ChunkPlan[] = [];
      const emit = async (plans: ChunkPlan[]): Promise<void> => {
        for (const plan of plans) {
          chunks.push(plan);
          await opts.onChunk?.(plan);
        }
      };
      const totalSamples = await spool.consume(pcm, {
        onSamples: async (samples) => {
          for (const frame of await detector.push(samples)) await emit(planner.push(frame));
        },
        onProgress: (written) => opts.onProgress?.(written / SAMPLE_RATE),
      });
      const tail = await detector.flush();
      for (const frame of tail.frames) await emit(planner.push(frame));
      await emit(planner.finish(totalSamples, tail.lastRegion));
      return { totalSamples, chunks };
    } finally {
      await detector.release();
    }
  })();
  return { spool, done };
}

/**
 * `startAnalysis`, awaited. On failure the spool is closed (and its file deleted) before the error
 * is rethrown; on success the caller owns the returned spool.
 */
export async function analyseAudio(path: string, opts: AnalyseOptions): Promise<AnalysisResult & { spool: PcmSpool }> {
  const { spool, done } = startAnalysis(path, opts);
  try {
    return { ...(await done), spool };
  } catch (err: unknown) {
    await spool.close();
    throw err;
  }
}

/** Decodes and spools without VAD or planning: a resumed task already has its plan. */
export function startSpooling(path: string, opts: SpoolOnlyOptions): AudioSpooling {
  const spool = new PcmSpool(opts.spoolPath);
  const pcm = decodeToPcm(path, {
    signal: opts.signal,
    expectedSeconds: opts.durationSeconds,
    ...(opts.startSeconds ? { startSeconds: opts.startSeconds } : {}),
  });
  const done = spool
    .consume(pcm, { onProgress: (written) => opts.onProgress?.(written / SAMPLE_RATE) })
    .then((totalSamples) => ({ totalSamples }));
  return { spool, done };
}
