import { Readable } from 'node:stream';
import { type Node, type NodeCue, type NodeList, parse } from 'subtitle';
import { expect } from 'vitest';
import type { Transcript } from '../../src/core/transcript.js';
import { type CaptionOptions, type Cue, resolveCaptionOptions } from '../../src/formats/captions.js';

const toMs = (seconds: number): number => Math.round(seconds * 1000);

/**
 * Checks every caption rule on cues laid out from `transcript` (or parsed back from a file):
 * line and cue limits, time order, no overlap, durations, and that every word appears exactly once,
 * in order, at its own time.
 */
export function expectCaptionRules(cues: readonly Cue[], transcript: Transcript, options?: CaptionOptions): void {
  const o = resolveCaptionOptions(options);
  const maxCueMs = toMs(o.maxCueSeconds);
  const minCueMs = toMs(o.minCueSeconds);

  let previousEnd = 0;
  for (const [i, cue] of cues.entries()) {
    const where = `cue ${i + 1} ${JSON.stringify(cue)}`;
    const start = toMs(cue.start);
    const end = toMs(cue.end);
    expect(cue.lines.length, where).toBeGreaterThanOrEqual(1);
    expect(cue.lines.length, where).toBeLessThanOrEqual(o.maxLinesPerCue);
    for (const line of cue.lines) {
      expect(line, where).toBe(line.trim());
      expect(line, where).not.toBe('');
      // Only a single word may be longer than a line.
      if (line.length > o.maxCharsPerLine) expect(line, where).not.toContain(' ');
    }
    expect(start, where).toBeGreaterThanOrEqual(previousEnd);
    expect(end, where).toBeGreaterThan(start);
    expect(end - start, where).toBeLessThanOrEqual(maxCueMs);
    const next = cues[i + 1];
    // Shorter than the minimum only where the next cue follows without a gap.
    if (end - start < minCueMs) expect(next && toMs(next.start), where).toBe(end);
    previousEnd = end;
  }

  // Every word exactly once, in order.
  const words = transcript.segments.flatMap((s): TimedText[] =>
    s.words.length > 0
      ? s.words.flatMap((w) => splitWords(w.word).map((text) => ({ text, start: toMs(w.start), end: toMs(w.end) })))
      : splitWords(s.text).map((text) => ({ text, start: undefined, end: undefined })),
  );
  const cueWords = cues.map((c) => splitWords(c.lines.join(' ')));
  expect(cueWords.flat()).toEqual(words.map((w) => w.text));

  // Word times: a cue starts with its first word and stays up until its last word ends, unless the
  // word itself is longer than a cue may be.
  let k = 0;
  for (const [i, cue] of cues.entries()) {
    const own = words.slice(k, k + (cueWords[i]?.length ?? 0));
    k += own.length;
    const first = own[0];
    if (first?.start === undefined) continue;
    expect(toMs(cue.start), `cue ${i + 1} start`).toBe(first.start);
    for (const w of own) {
      if (w.end !== undefined) expect(Math.min(w.end, toMs(cue.start) + maxCueMs)).toBeLessThanOrEqual(toMs(cue.end));
    }
  }
}

interface TimedText {
  text: string;
  /** Milliseconds; undefined for segments without word timings. */
  start: number | undefined;
  end: number | undefined;
}

/** Parsed `subtitle` nodes as cues in this codebase's shape (seconds, lines). */
export function cuesOf(nodes: NodeList): Cue[] {
  return nodes
    .filter((n): n is NodeCue => n.type === 'cue')
    .map((n) => ({ start: n.data.start / 1000, end: n.data.end / 1000, lines: n.data.text.split('\n') }));
}

/** Feeds chunks to `subtitle`'s streaming parser and collects what it emits. */
export function parseStream(chunks: Iterable<string>): Promise<NodeList> {
  const nodes: NodeList = [];
  return new Promise((resolve, reject) => {
    Readable.from(chunks)
      .pipe(parse())
      .on('data', (node: Node) => nodes.push(node))
      .on('error', reject)
      .on('end', () => resolve(nodes));
  });
}

function splitWords(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== '');
}
