import type { Segment, Word } from '../core/transcript.js';

export interface SplitOptions {
  /** A pause between words at least this long starts a new segment. */
  minPauseSeconds: number;
  /** A segment grows past this only until the next word boundary. */
  maxSegmentSeconds: number;
}

export const DEFAULT_SPLIT: SplitOptions = { minPauseSeconds: 0.4, maxSegmentSeconds: 10 };

/**
 * Engines such as PocketSphinx answer one segment per chunk (up to 30 s): too long to read along
 * with or to seek by. This splits such segments at pauses (and at a length bound) using word
 * timings. Only segments whose text is exactly their words joined are split, so an engine's own
 * punctuation and casing are never lost; others pass through unchanged. Deterministic, so a resumed
 * run splits identically.
 */
export function splitSegments(segments: readonly Segment[], opts: SplitOptions = DEFAULT_SPLIT): Segment[] {
  return segments.flatMap((s) => (isWordDerived(s) ? splitOne(s, opts) : [s]));
}

function isWordDerived(s: Segment): boolean {
  return s.words.length > 1 && s.text === s.words.map((w) => w.word).join(' ');
}

function splitOne(s: Segment, opts: SplitOptions): Segment[] {
  const out: Segment[] = [];
  let current: Word[] = [];
  const flush = () => {
    const first = current[0];
    const last = current.at(-1);
    if (first && last) {
      out.push({ start: first.start, end: last.end, text: current.map((w) => w.word).join(' '), words: current });
    }
    current = [];
  };
  for (const w of s.words) {
    const first = current[0];
    const prev = current.at(-1);
    if (first && prev && (w.start - prev.end >= opts.minPauseSeconds || w.end - first.start > opts.maxSegmentSeconds)) {
      flush();
    }
    current.push(w);
  }
  flush();
  // Keep the chunk's outer bounds: the first and last segment reach the original start and end.
  const head = out[0];
  const tail = out.at(-1);
  if (head) head.start = Math.min(head.start, s.start);
  if (tail) tail.end = Math.max(tail.end, s.end);
  return out;
}
