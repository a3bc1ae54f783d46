import { settingDefault } from '../config/config.js';
import { mapConcurrent } from '../core/async/map-concurrent.js';
import { EarshotError, InternalError } from '../core/errors/index.js';
import type { Logger } from '../core/logger.js';
import type { StageTimes } from '../core/stage-times.js';
import { type ChunkCheckpoint, type ChunkPlan, SAMPLE_RATE, type TaskOptions, type TaskStage } from '../core/task.js';
import { fullText, type Transcript } from '../core/transcript.js';
import { abortedError } from '../engines/abort.js';
import type { EnginePool, PoolShare } from '../engines/engine-pool.js';
import { openAudio } from './audio-source.js';
import { type CheckpointSink, loadResume } from './checkpoints.js';
import { mergeCheckpoints } from './merge.js';
import { ProgressTracker } from './progress.js';
import { recogniseChunk } from './recognise-chunk.js';

export type { CheckpointSink } from './checkpoints.js';

export interface PipelineProgress {
  stage: TaskStage;
  doneSeconds: number;
  durationSeconds: number;
  speed: number | null;
}

export interface TranscribeJob {
  mediaPath: string;
  /** Private scratch folder for this run (the PCM spool lives here). */
  workDir: string;
  options: TaskOptions;
  /**
   * Recognises the chunks; its size is how many this job keeps in flight. The pool may be shared
   * with other jobs, which then take turns on its instances (see PoolShare).
   */
  pool: EnginePool;
  /** This job's share of a shared pool (a task id and its priority, a file name). */
  share?: PoolShare;
  /**
   * Duration from an earlier probe: a number, or null when the container does not say. Leave it
   * undefined only when nothing has probed the file yet; the pipeline then probes it once.
   */
  durationSeconds?: number | null;
  attempt?: number;
  signal?: AbortSignal;
  checkpoints?: CheckpointSink;
  onProgress?: (p: PipelineProgress) => void;
  /**
   * Called as each chunk finishes. Parallel chunks finish slightly out of index order; chunks reused
   * from an earlier attempt are reported (with `resumed`) as they are planned.
   */
  onChunk?: (c: ChunkCheckpoint, resumed: boolean) => void;
  log?: Logger;
  /** Receives where the run's time goes (see StageTimes). */
  times?: StageTimes;
}

interface FinishedChunk {
  checkpoint: ChunkCheckpoint;
  /** Reused from an earlier attempt rather than recognised now. */
  resumed: boolean;
}

/**
 * decode -> VAD -> chunk plan -> parallel recognition -> merge. The analysis yields chunks as it
 * plans them, so recognition starts with the first chunk while decoding continues; at most
 * `pool.size` chunks are in flight and the analysis runs only a few chunks ahead of them, so memory
 * is bounded by the chunk length, not the recording's. Each recognised chunk is checkpointed; a
 * resumed attempt reuses the chunks an earlier attempt checkpointed and, when that attempt finished
 * planning, decodes only from just before the first chunk still to do.
 */
export async function transcribe(job: TranscribeJob): Promise<Transcript> {
  const { options, pool, checkpoints, times } = job;
  try {
    const resume = times ? await times.time('planLoad', () => loadResume(checkpoints)) : await loadResume(checkpoints);
    const openedAt = performance.now();
    const sinceOpened = () => performance.now() - openedAt;
    const { audio, durationSeconds } = await openAudio(job.mediaPath, {
      spoolPath: `${job.workDir}/audio.pcm`,
      maxChunkSeconds: options.maxChunkSeconds ?? settingDefault('maxChunkSeconds'),
      signal: job.signal,
      durationSeconds: job.durationSeconds,
      plan: resume.plan,
      resumeFromSample: resume.resumeFromSample,
      times,
    });
    // The complete plan is stored as soon as the analysis has made it (the analysis runs far ahead of
    // recognition), not when the last chunk is recognised: an attempt resumed after a crash then
    // replays it, decoding only what is left, without VAD.
    const planStored =
      resume.plan || !checkpoints
        ? Promise.resolve()
        : audio.planned.then((all) => checkpoints.savePlan([...all], true));
    planStored.catch(() => undefined);
    try {
      const progress = new ProgressTracker(durationSeconds ?? 0);
      let stage: TaskStage = 'decoding';
      const report = () =>
        job.onProgress?.({
          stage,
          doneSeconds: progress.covered,
          durationSeconds: progress.total,
          speed: progress.speed,
        });
      report();

      // One planned chunk: the earlier attempt's checkpoint, or recognised now and checkpointed.
      let chunksSeen = 0;
      const settleChunk = async (plan: ChunkPlan, signal: AbortSignal): Promise<FinishedChunk> => {
        if (chunksSeen++ === 0) times?.add('firstChunk', sinceOpened());
        progress.plan(plan);
        stage = 'recognizing';
        const reused = resume.reuse(plan);
        if (reused) return { checkpoint: reused, resumed: true };
        // The plan is saved as it grows, so rows exist for a resumed attempt to match checkpoints to.
        if (!resume.plan) await checkpoints?.savePlan([plan], false);
        const pcm = await audio.readRange(plan.startSample, plan.endSample);
        const attempt = job.attempt ?? 1;
        const recognising = performance.now();
        const checkpoint = await recogniseChunk(plan, pcm, {
          pool,
          language: options.language,
          attempt,
          signal,
          share: job.share,
          log: job.log,
        });
        times?.add('recognise', performance.now() - recognising);
        await checkpoints?.saveChunk(checkpoint);
        return { checkpoint, resumed: false };
      };

      const finished: ChunkCheckpoint[] = [];
      const analysed = onEnd(audio, () => times?.add('analysed', sinceOpened()));
      const chunks = mapConcurrent(analysed, settleChunk, { concurrency: pool.size, signal: job.signal });
      for await (const { checkpoint, resumed } of chunks) {
        // The first words are out: the analysis, held back so far, may now run far ahead.
        audio.runAhead();
        finished.push(checkpoint);
        progress.done(checkpoint.index, resumed);
        job.onChunk?.(checkpoint, resumed);
        if (!resumed) report();
      }

      // The loop ends once the whole recording is decoded, so its exact length is known now.
      const totalSeconds = (audio.totalSamples ?? 0) / SAMPLE_RATE;
      progress.setTotal(totalSeconds);
      await planStored;
      stage = 'merging';
      report();
      const segments = mergeCheckpoints(finished);
      return { language: options.language, duration: totalSeconds, segments, text: fullText(segments) };
    } finally {
      await audio.close();
    }
  } catch (err: unknown) {
    throw asEarshotError(err, job.signal);
  }
}

/** `source`, calling `done` once it has yielded its last item (closing it early is passed on at once). */
function onEnd<T>(source: AsyncIterable<T>, done: () => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = source[Symbol.asyncIterator]();
      return {
        next: async () => {
          const r = await it.next();
          if (r.done) done();
          return r;
        },
        return: async () => (it.return ? it.return() : { done: true, value: undefined }),
      };
    },
  };
}

/** Errors leave the pipeline typed, so the worker can decide on a retry. */
function asEarshotError(err: unknown, signal: AbortSignal | undefined): EarshotError {
  if (err instanceof EarshotError) return err;
  if (signal?.aborted) return abortedError(signal);
  return InternalError.from(err);
}
