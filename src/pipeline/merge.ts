import type { ChunkCheckpoint } from '../core/task.js';
import { SAMPLE_RATE } from '../core/task.js';
import type { Segment } from '../core/transcript.js';

const round = (s: number) => Math.round(s * 1000) / 1000;

/**
 * Shifts a chunk's engine output (times relative to the chunk) onto the recording's timeline and
 * clamps it inside the chunk, so merged segments can never overlap a neighbour's range.
 */
export function toGlobalSegments(segments: readonly Segment[], startSample: number, endSample: number): Segment[] {
  const offset = startSample / SAMPLE_RATE;
  const limit = endSample / SAMPLE_RATE;
  const clamp = (t: number) => round(Math.min(Math.max(offset + t, offset), limit));
  return segments.map((s) => ({
    start: clamp(s.start),
    end: clamp(s.end),
    text: s.text,
    words: s.words.map((w) => ({ ...w, start: clamp(w.start), end: clamp(w.end) })),
  }));
}

/** Segments of checkpoints in chunk order: the transcript body. Checkpoints are already global. */
export function mergeCheckpoints(checkpoints: readonly ChunkCheckpoint[]): Segment[] {
  return [...checkpoints].sort((a, b) => a.index - b.index).flatMap((c) => c.segments);
}

/**
 * The longest run of finished chunks from index 0: what a reader can see while a task runs.
 * Stops at the first gap, so a partial transcript only ever grows.
 */
export function contiguousPrefix<T extends { index: number }>(rows: readonly T[], isDone: (row: T) => boolean): T[] {
  const sorted = [...rows].sort((a, b) => a.index - b.index);
  const out: T[] = [];
  for (const [i, row] of sorted.entries()) {
    if (row.index !== i || !isDone(row)) break;
    out.push(row);
  }
  return out;
}
