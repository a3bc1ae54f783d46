import type { Segment } from '../core/transcript.js';

/**
 * A transcript's word count by SQLite's rule (its migration 8 triggers compute it in SQL), for
 * writes that bypass the triggers: per segment, the length of its `words` array, or, for a segment
 * without word timings, the blank-separated tokens of its text after tabs and line breaks become
 * blanks and runs of up to eight blanks are folded. Each step is the SQL's own (`replace` is
 * replaceAll, `trim` drops spaces only), so the two always agree (a conformance test compares them).
 */
export function sqliteWordCount(segments: readonly Segment[]): number {
  let n = 0;
  for (const s of segments) {
    if (Array.isArray(s.words) && s.words.length > 0) {
      n += s.words.length;
      continue;
    }
    let x = (s.text ?? '').replaceAll('\t', ' ').replaceAll('\n', ' ').replaceAll('\r', ' ');
    x = x.replaceAll('  ', ' ').replaceAll('  ', ' ').replaceAll('  ', ' ');
    x = x.replace(/^ +| +$/g, '');
    if (x !== '') n += x.split(' ').length;
  }
  return n;
}
