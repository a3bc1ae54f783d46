import { EngineError } from '../core/errors/index.js';
import type { Logger } from '../core/logger.js';
import type { ChunkCheckpoint, ChunkPlan } from '../core/task.js';
import type { Segment } from '../core/transcript.js';
import type { EnginePool, PoolShare } from '../engines/engine-pool.js';
import { toGlobalSegments } from './merge.js';
import { splitSegments } from './split-segments.js';

/** A chunk recognition that failed with EngineError is tried once more (the engine restarts) before the job fails. */
const CHUNK_TRIES = 2;

export interface RecogniseChunkOptions {
  pool: EnginePool;
  language: string;
  /** Recorded in the checkpoint: which attempt did the work. */
  attempt: number;
  signal: AbortSignal;
  /** Whose job this is on a pool shared by several tasks or files. */
  share?: PoolShare;
  log?: Logger;
}

/**
 * Recognises one planned chunk's PCM on the pool and returns its checkpoint, with segments on the
 * recording's timeline. Knows nothing of where the chunk came from (a file's analysis, a stored plan
 * or a live stream), nor of persisting it.
 */
export async function recogniseChunk(
  plan: ChunkPlan,
  pcm: Int16Array,
  opts: RecogniseChunkOptions,
): Promise<ChunkCheckpoint> {
  let segments: Segment[];
  for (let tries = 1; ; tries++) {
    try {
      segments = await opts.pool.recognize(pcm, {
        language: opts.language,
        signal: opts.signal,
        share: opts.share,
      });
      break;
    } catch (err) {
      if (!(err instanceof EngineError) || tries >= CHUNK_TRIES || opts.signal.aborted) throw err;
      opts.log?.warn({ chunk: plan.index, err: err.message }, 'chunk recognition failed; retrying once');
    }
  }
  return {
    index: plan.index,
    startSample: plan.startSample,
    endSample: plan.endSample,
    attempt: opts.attempt,
    segments: splitSegments(toGlobalSegments(segments, plan.startSample, plan.endSample)),
  };
}
