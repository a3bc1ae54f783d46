import { type PlannedAudio, planAudio, replayPlan } from '../audio/plan-audio.js';
import { probeMedia } from '../audio/probe.js';
import type { StageSink } from '../core/stage-times.js';
import { type ChunkPlan, SAMPLE_RATE } from '../core/task.js';

const PREROLL_SECONDS = 1;

export interface OpenAudioOptions {
  spoolPath: string;
  maxChunkSeconds: number;
  signal?: AbortSignal | undefined;
  /**
   * The duration an earlier probe found: a number, or null when the container does not say. Only
   * `undefined` (never probed, as for a CLI run) makes openAudio probe.
   */
  durationSeconds?: number | null;
  /** A stored complete plan (resumed task): decode only, skip VAD, replay these chunks. */
  plan: ChunkPlan[] | null;
  /** With a plan: the first sample still to recognise; decoding may start shortly before it. */
  resumeFromSample: number;
  /** Receives the VAD's load and inference times. */
  times?: StageSink | undefined;
}

/** The recording's planned chunks and samples, and its duration as probed (null when unknown). */
export interface AudioSource {
  audio: PlannedAudio;
  durationSeconds: number | null;
}

/**
 * Probes (only if no earlier probe is known), then starts the single decode pass: a full analysis,
 * or, with a stored plan, a replay of it that decodes only from shortly before the first chunk
 * still to recognise.
 */
export async function openAudio(mediaPath: string, opts: OpenAudioOptions): Promise<AudioSource> {
  const durationSeconds =
    opts.durationSeconds !== undefined
      ? opts.durationSeconds
      : (await probeMedia(mediaPath, { signal: opts.signal })).durationSeconds;
  const spooling = { spoolPath: opts.spoolPath, signal: opts.signal, durationSeconds };
  const audio = opts.plan
    ? replayPlan(mediaPath, opts.plan, {
        ...spooling,
        // Skip what is already recognised, keeping a second of pre-roll so decoders and the resampler
        // are settled when the first missing chunk starts. Whole seconds keep sample positions exact.
        startSeconds: Math.max(0, Math.floor(opts.resumeFromSample / SAMPLE_RATE) - PREROLL_SECONDS),
      })
    : planAudio(mediaPath, {
        ...spooling,
        maxChunkSeconds: opts.maxChunkSeconds,
        ...(opts.times ? { vad: { times: opts.times } } : {}),
      });
  return { audio, durationSeconds };
}
