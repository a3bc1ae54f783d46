import { startAnalysis, startSpooling } from '../audio/plan-audio.js';
import { probeMedia } from '../audio/probe.js';
import { type ChunkPlan, SAMPLE_RATE } from '../core/task.js';

const PREROLL_SECONDS = 1;

export interface OpenAudioOptions {
  spoolPath: string;
  maxChunkSeconds: number;
  signal: AbortSignal;
  /** Known duration (probed at upload); probed here when absent. */
  durationSeconds?: number | null;
  /** A stored complete plan (resumed task): decode only, skip VAD, replay these chunks. */
  plan: ChunkPlan[] | null;
  /** With a plan: the first sample still to recognise; decoding may start shortly before it. */
  resumeFromSample?: number;
  onChunk: (plan: ChunkPlan) => void;
}

export interface AudioSource {
  durationSeconds: number | null;
  readRange(startSample: number, endSample: number): Promise<Int16Array>;
  finished: Promise<{ totalSamples: number }>;
  close(): Promise<void>;
}

/**
 * Probes, then starts the single decode pass. With a stored plan, its chunks are replayed as soon as
 * their samples are on disk, so recognition of a resumed task also starts at once.
 */
export async function openAudio(mediaPath: string, opts: OpenAudioOptions): Promise<AudioSource> {
  const durationSeconds =
    opts.durationSeconds ?? (await probeMedia(mediaPath, { signal: opts.signal })).durationSeconds;
  if (opts.plan) {
    // Skip what is already recognised, keeping a second of pre-roll so decoders and the resampler
    // are settled when the first missing chunk starts. Whole seconds keep sample positions exact.
    const startSeconds = Math.max(0, Math.floor((opts.resumeFromSample ?? 0) / SAMPLE_RATE) - PREROLL_SECONDS);
    const offset = startSeconds * SAMPLE_RATE;
    const { spool, done } = startSpooling(mediaPath, {
      spoolPath: opts.spoolPath,
      signal: opts.signal,
      durationSeconds,
      startSeconds,
    });
    for (const plan of opts.plan) opts.onChunk(plan);
    return {
      durationSeconds,
      readRange: (s, e) => spool.readRange(s - offset, e - offset),
      finished: done.then((r) => ({ totalSamples: r.totalSamples + offset })),
      close: () => spool.close(),
    };
  }
  const { spool, done } = startAnalysis(mediaPath, {
    spoolPath: opts.spoolPath,
    signal: opts.signal,
    durationSeconds,
    maxChunkSeconds: opts.maxChunkSeconds,
    onChunk: opts.onChunk,
  });
  return {
    durationSeconds,
    readRange: (s, e) => spool.readRange(s, e),
    finished: done.then((r) => ({ totalSamples: r.totalSamples })),
    close: () => spool.close(),
  };
}
