import { AbortedError, EarshotError, EngineError } from '../core/errors/index.js';
import type { Logger } from '../core/logger.js';
import { type ChunkCheckpoint, type ChunkPlan, SAMPLE_RATE, type TaskOptions, type TaskStage } from '../core/task.js';
import { fullText, type Segment, type Transcript } from '../core/transcript.js';
import type { EnginePool } from '../engines/engine-pool.js';
import type { StoredPlan } from '../store/task.store.js';
import { openAudio } from './audio-source.js';
import { mergeCheckpoints, toGlobalSegments } from './merge.js';
import { ProgressTracker } from './progress.js';
import { splitSegments } from './split-segments.js';

/** Where a run persists its plan and finished chunks, and finds an earlier attempt's. */
export interface CheckpointSink {
  load(): Promise<StoredPlan>;
  savePlan(chunks: ChunkPlan[], complete: boolean): Promise<void>;
  saveChunk(checkpoint: ChunkCheckpoint): Promise<void>;
}

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
  pool: EnginePool;
  /** Duration from an earlier probe, if known (saves a second ffprobe). */
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
}

/** A chunk recognition that failed with EngineError is tried once more (the engine restarts) before the job fails. */
const CHUNK_TRIES = 2;

/**
 * decode -> VAD -> chunk plan -> parallel recognition -> merge. Recognition starts as soon as the
 * first chunk is planned, while decoding continues, and at most `concurrency` chunks are in flight,
 * so memory is bounded by the chunk length, not the recording's. Finished chunks are checkpointed;
 * on a resumed attempt chunks with a matching checkpoint are reused, not recognised again.
 */
export async function transcribe(job: TranscribeJob): Promise<Transcript> {
  const attempt = job.attempt ?? 1;
  const inner = new AbortController();
  const signal = job.signal ? AbortSignal.any([job.signal, inner.signal]) : inner.signal;
  const stored = job.checkpoints ? await job.checkpoints.load() : { complete: false, chunks: [] };
  const previous = new Map(stored.chunks.map((row) => [row.index, row]));
  const reuseFor = (plan: ChunkPlan): ChunkCheckpoint | null => {
    const row = previous.get(plan.index);
    return row?.checkpoint && row.startSample === plan.startSample && row.endSample === plan.endSample
      ? row.checkpoint
      : null;
  };

  const planned: ChunkPlan[] = [];
  const finished = new Map<number, ChunkCheckpoint>();
  const queue: ChunkPlan[] = [];
  const running = new Set<Promise<void>>();
  const concurrency = Math.max(1, Math.min(job.options.concurrency ?? job.pool.size, job.pool.size));
  const tracker = new ProgressTracker(job.durationSeconds ?? 0);
  let stage: TaskStage = 'decoding';
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };

  const report = () =>
    job.onProgress?.({ stage, doneSeconds: tracker.covered, durationSeconds: tracker.total, speed: tracker.speed });

  const acceptPlan = (plan: ChunkPlan) => {
    planned.push(plan);
    tracker.plan([plan], (i) => planned[i - 1]?.endSample ?? 0);
    const reused = reuseFor(plan);
    if (reused) {
      finished.set(plan.index, reused);
      tracker.done(plan.index, true);
      job.onChunk?.(reused, true);
    } else {
      queue.push(plan);
    }
    notify();
  };

  const recognise = async (plan: ChunkPlan): Promise<void> => {
    const pcm = await audio.readRange(plan.startSample, plan.endSample);
    let segments: Segment[] = [];
    for (let tries = 1; ; tries++) {
      try {
        segments = await job.pool.recognize(pcm, { language: job.options.language, signal });
        break;
      } catch (err) {
        if (!(err instanceof EngineError) || tries >= CHUNK_TRIES || signal.aborted) throw err;
        job.log?.warn({ chunk: plan.index, err: err.message }, 'chunk recognition failed; retrying once');
      }
    }
    const checkpoint: ChunkCheckpoint = {
      ...plan,
      attempt,
      segments: splitSegments(toGlobalSegments(segments, plan.startSample, plan.endSample)),
    };
    await job.checkpoints?.saveChunk(checkpoint);
    finished.set(plan.index, checkpoint);
    tracker.done(plan.index, false);
    job.onChunk?.(checkpoint, false);
    report();
  };

  const pump = () => {
    while (failure === null && running.size < concurrency && queue.length > 0) {
      const plan = queue.shift() as ChunkPlan;
      const p: Promise<void> = recognise(plan)
        .catch((err: unknown) => {
          failure ??= err;
          inner.abort(err);
        })
        .finally(() => {
          running.delete(p);
          notify();
        });
      running.add(p);
    }
  };

  const usePlan = stored.complete && stored.chunks.length > 0;
  const audio = await openAudio(job.mediaPath, {
    spoolPath: `${job.workDir}/audio.pcm`,
    maxChunkSeconds: job.options.maxChunkSeconds ?? 30,
    signal,
    // Every chunk done (a crash between the last checkpoint and completion): still decode the tail,
    // which gives the recording's exact length.
    resumeFromSample: Math.min(
      ...stored.chunks.filter((c) => reuseFor(c) === null).map((c) => c.startSample),
      stored.chunks.at(-1)?.startSample ?? 0,
    ),
    plan: usePlan
      ? stored.chunks.map(({ index, startSample, endSample }) => ({ index, startSample, endSample }))
      : null,
    onChunk: (plan) => {
      acceptPlan(plan);
      if (!usePlan) void job.checkpoints?.savePlan([plan], false).catch((err: unknown) => (failure ??= err));
      if (stage === 'decoding') stage = 'recognizing';
      pump();
    },
  });
  if (job.durationSeconds == null && audio.durationSeconds !== null) tracker.setTotal(audio.durationSeconds);
  report();

  let decoded = false;
  let totalSamples = 0;
  audio.finished.then(
    (r) => {
      decoded = true;
      totalSamples = r.totalSamples;
      notify();
    },
    (err: unknown) => {
      failure ??= err;
      inner.abort(err);
      notify();
    },
  );

  try {
    while (failure === null && !(decoded && queue.length === 0 && running.size === 0)) {
      pump();
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (failure === null && signal.aborted) failure = new AbortedError(String(signal.reason ?? 'aborted'));
    if (failure !== null) {
      await Promise.allSettled([...running]);
      throw failure instanceof EarshotError ? failure : wrap(failure);
    }
    const durationSeconds = totalSamples / SAMPLE_RATE;
    tracker.setTotal(durationSeconds);
    if (!usePlan) await job.checkpoints?.savePlan(planned, true);
    stage = 'merging';
    report();
    const segments = mergeCheckpoints([...finished.values()]);
    return { language: job.options.language, duration: durationSeconds, segments, text: fullText(segments) };
  } finally {
    inner.abort(new AbortedError('pipeline finished'));
    await audio.close();
  }
}

function wrap(err: unknown): EarshotError {
  return new EarshotError('internal_error', err instanceof Error ? err.message : String(err), {
    retryable: true,
    cause: err,
  });
}
