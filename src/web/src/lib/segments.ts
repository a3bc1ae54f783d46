import type { Segment } from '../api/types';

/**
 * Adds segments that arrived over SSE to what is shown. Chunks may finish out of order and a
 * reconnect may replay one, so segments are keyed by start time and kept sorted.
 */
export function mergeSegments(existing: readonly Segment[], incoming: readonly Segment[]): Segment[] {
  const byStart = new Map<string, Segment>();
  for (const s of existing) byStart.set(s.start.toFixed(3), s);
  for (const s of incoming) byStart.set(s.start.toFixed(3), s);
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}

export function joinText(segments: readonly Segment[]): string {
  return segments
    .map((s) => s.text.trim())
    .filter((t) => t.length > 0)
    .join(' ');
}

/** The segment being spoken at `time` (binary search over sorted starts), or -1 in a pause. */
export function activeSegmentIndex(segments: readonly Segment[], time: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = segments[mid];
    if (!s) break;
    if (s.start <= time) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  const s = found >= 0 ? segments[found] : undefined;
  return s && time < s.end ? found : -1;
}

/** The word being spoken inside one segment, or -1. */
export function activeWordIndex(segment: Segment | undefined, time: number): number {
  if (!segment?.words) return -1;
  return segment.words.findIndex((w) => w.start <= time && time < w.end);
}

/** Lower-cased search terms; empty for a blank query. */
export function searchTerms(query: string): string[] {
  return query.toLowerCase().split(/\s+/).filter(Boolean);
}

/** Indices of segments whose text contains the whole query (case-insensitive). */
export function matchingSegments(segments: readonly Segment[], query: string): number[] {
  const needle = query.trim().toLowerCase();
  if (!needle) return [];
  const found: number[] = [];
  segments.forEach((s, i) => {
    if (s.text.toLowerCase().includes(needle)) found.push(i);
  });
  return found;
}

/** The speaker names used in a transcript, in order of first appearance. */
export function speakersOf(segments: readonly Segment[]): string[] {
  return [...new Set(segments.map((s) => s.speaker).filter((s): s is string => Boolean(s)))];
}

/**
 * The whole transcript as text to copy: the transcript's own text, or, once speakers are named, one
 * paragraph per turn led by the speaker's name.
 */
export function copyableText(segments: readonly Segment[], text: string): string {
  if (!segments.some((s) => s.speaker)) return text;
  const turns: { speaker: string | undefined; parts: string[] }[] = [];
  for (const s of segments) {
    const last = turns.at(-1);
    if (last && last.speaker === s.speaker) last.parts.push(s.text.trim());
    else turns.push({ speaker: s.speaker, parts: [s.text.trim()] });
  }
  return turns.map((t) => `${t.speaker ? `${t.speaker}: ` : ''}${t.parts.join(' ')}`).join('\n\n');
}

/** The segment a moment belongs to: the one spoken then, else the last one before it, else the first. */
export function segmentAt(segments: readonly Segment[], time: number): number {
  if (segments.length === 0) return -1;
  let found = 0;
  segments.forEach((s, i) => {
    if (s.start <= time + 0.01) found = i;
  });
  return found;
}

/** The first segment starting after `time`. */
export function nextSegment(segments: readonly Segment[], time: number): number {
  return segments.findIndex((s) => s.start > time + 0.05);
}

/** The segment before the one playing (or, more than a second into one, that one's start). */
export function previousSegment(segments: readonly Segment[], time: number): number {
  for (let i = segments.length - 1; i >= 0; i -= 1) {
    if ((segments[i]?.start ?? 0) < time - 1) return i;
  }
  return segments.length > 0 ? 0 : -1;
}
