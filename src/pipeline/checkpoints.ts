import type { ChunkCheckpoint, ChunkPlan } from '../core/task.js';
import type { StoredPlan } from '../store/task.store.js';

/** Where a run persists its plan and finished chunks, and finds an earlier attempt's. */
export interface CheckpointSink {
  load(): Promise<StoredPlan>;
  savePlan(chunks: ChunkPlan[], complete: boolean): Promise<void>;
  saveChunk(checkpoint: ChunkCheckpoint): Promise<void>;
}

/** What an earlier attempt left behind, and how this attempt resumes from it. */
export interface Resume {
  /** The stored plan when it is complete: analysis is skipped and these chunks are replayed. */
  plan: ChunkPlan[] | null;
  /** The first sample a chunk still to recognise starts at (0 for a fresh run). */
  resumeFromSample: number;
  /** The earlier checkpoint of a chunk planned exactly the same way, if any. */
  reuse(plan: ChunkPlan): ChunkCheckpoint | null;
}

/** Loads the earlier attempt's plan and checkpoints (none without a sink). */
export async function loadResume(sink: CheckpointSink | undefined): Promise<Resume> {
  const stored: StoredPlan = sink ? await sink.load() : { complete: false, chunks: [] };
  const previous = new Map(stored.chunks.map((row) => [row.index, row]));
  const reuse = (plan: ChunkPlan): ChunkCheckpoint | null => {
    const row = previous.get(plan.index);
    return row?.checkpoint && row.startSample === plan.startSample && row.endSample === plan.endSample
      ? row.checkpoint
      : null;
  };
  const complete = stored.complete && stored.chunks.length > 0;
  return {
    plan: complete
      ? stored.chunks.map(({ index, startSample, endSample }) => ({ index, startSample, endSample }))
      : null,
    // Every chunk done (a crash between the last checkpoint and completion): still decode the last
    // chunk's tail, which gives the recording's exact length.
    resumeFromSample: Math.min(
      ...stored.chunks.filter((c) => reuse(c) === null).map((c) => c.startSample),
      stored.chunks.at(-1)?.startSample ?? 0,
    ),
    reuse,
  };
}
