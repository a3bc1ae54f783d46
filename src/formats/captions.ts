import type { Segment } from '../core/transcript.js';
import { secondsToMilliseconds } from './timecode.js';

/** How transcript words are laid out into caption cues. Every field is optional. */
export interface CaptionOptions {
  /**
   * Longest line, in characters (default 42, the usual limit for Latin scripts in broadcast and
   * streaming guidelines). A single word longer than this gets a line of its own; words are never split.
   */
  maxCharsPerLine?: number;
  /** Most lines in one cue (default 2): more covers too much of the picture. */
  maxLinesPerCue?: number;
  /** Longest time one cue stays on screen, in seconds (default 7). */
  maxCueSeconds?: number;
  /**
   * Shortest time a cue stays on screen, in seconds (default 5/6 s, about 20 frames), so a lone short
   * word can be read. A cue is only stretched into silence, never over the next cue.
   */
  minCueSeconds?: number;
  /** A pause between words longer than this, in seconds (default 1.5), starts a new cue rather than leaving text up over silence. */
  maxGapSeconds?: number;
  /**
   * Re-flow each cue's words over the same number of lines so the lines are about equally long, the
   * bottom one longer on a tie (default true). False keeps plain greedy filling: top line first.
   */
  balanceLines?: boolean;
}

export const DEFAULT_CAPTION_OPTIONS: Readonly<Required<CaptionOptions>> = Object.freeze({
  maxCharsPerLine: 42,
  maxLinesPerCue: 2,
  maxCueSeconds: 7,
  minCueSeconds: 5 / 6,
  maxGapSeconds: 1.5,
  balanceLines: true,
});

/** One caption: times in seconds, already whole milliseconds, and one or more non-empty lines. */
export interface Cue {
  start: number;
  end: number;
  lines: string[];
}

/** Fills in defaults and rejects settings under which no valid layout exists. */
export function resolveCaptionOptions(options: CaptionOptions = {}): Required<CaptionOptions> {
  const o: Required<CaptionOptions> = { ...DEFAULT_CAPTION_OPTIONS };
  // Only caption keys are read (callers may pass a wider options object), and an explicit undefined,
  // as an optional query parameter gives, means "use the default".
  for (const key of Object.keys(DEFAULT_CAPTION_OPTIONS) as (keyof CaptionOptions)[]) {
    if (options[key] !== undefined) Object.assign(o, { [key]: options[key] });
  }
  requireInteger('maxCharsPerLine', o.maxCharsPerLine, 1);
  requireInteger('maxLinesPerCue', o.maxLinesPerCue, 1);
  requireNumber('maxCueSeconds', o.maxCueSeconds, 0.001);
  requireNumber('minCueSeconds', o.minCueSeconds, 0);
  requireNumber('maxGapSeconds', o.maxGapSeconds, 0);
  if (o.minCueSeconds > o.maxCueSeconds) {
    throw new RangeError(`minCueSeconds (${o.minCueSeconds}) must not exceed maxCueSeconds (${o.maxCueSeconds})`);
  }
  return o;
}

/** Lays out segments into cues; see `generateCues`. */
export function buildCues(segments: readonly Segment[], options?: CaptionOptions): Cue[] {
  return Array.from(generateCues(segments, options));
}

/**
 * Lays out segments into caption cues, lazily, so a writer can stream them.
 *
 * Words are placed greedily in order: a word joins the current line if it fits, else starts a new
 * line, else (all lines used) a new cue. A new cue also starts at each segment, after a pause longer
 * than `maxGapSeconds`, and before a word that would stretch the cue past `maxCueSeconds`. Segments
 * without word timings are spread over their time range in proportion to character counts.
 *
 * Guarantees, whatever the input: cues come in time order and never overlap; each lasts at least
 * 1 ms and at most `maxCueSeconds`; every non-blank word appears exactly once, in order, with runs of
 * whitespace inside a word collapsed to one space.
 */
export function* generateCues(segments: readonly Segment[], options?: CaptionOptions): Generator<Cue> {
  const o = resolveCaptionOptions(options);
  const limits: Limits = {
    maxChars: o.maxCharsPerLine,
    maxLines: o.maxLinesPerCue,
    maxCueMs: Math.max(1, secondsToMilliseconds(o.maxCueSeconds)),
    minCueMs: secondsToMilliseconds(o.minCueSeconds),
    maxGapMs: secondsToMilliseconds(o.maxGapSeconds),
  };
  // Stable sort: well-formed input is already in order and stays as it is.
  const ordered = [...segments].sort((a, b) => a.start - b.start);

  let pending: RawCue | undefined;
  let previousEnd = 0;
  const finish = (cue: RawCue, nextStart: number | undefined): Cue => {
    const start = Math.max(cue.start, previousEnd);
    let end = Math.min(Math.max(cue.end, start + 1), start + limits.maxCueMs);
    const wanted = start + limits.minCueMs;
    if (end < wanted) end = nextStart === undefined ? wanted : Math.max(end, Math.min(wanted, nextStart));
    previousEnd = end;
    const lines =
      o.balanceLines && cue.lines.length > 1
        ? balanceLines(cue.lines.flat(), cue.lines.length, limits.maxChars)
        : cue.lines.map((l) => l.join(' '));
    return { start: start / 1000, end: end / 1000, lines };
  };

  for (const segment of ordered) {
    for (const cue of segmentCues(timedTokens(segment), limits)) {
      if (pending) yield finish(pending, cue.start);
      pending = cue;
    }
  }
  if (pending) yield finish(pending, undefined);
}

/**
 * Splits words over exactly `lineCount` lines so the lines are as even as possible (least sum of
 * squared lengths), keeping every multi-word line within `maxChars`; on a tie the lower line is the
 * longer one. Falls back to greedy filling when no such split exists.
 */
export function balanceLines(words: readonly string[], lineCount: number, maxChars: number): string[] {
  const n = words.length;
  if (lineCount <= 1 || n <= 1) return [words.join(' ')];
  const lines = Math.min(lineCount, n);
  const width = (i: number, j: number): number => {
    let w = j - i - 1;
    for (let k = i; k < j; k++) w += words[k].length;
    return j - i > 1 && w > maxChars ? Number.POSITIVE_INFINITY : w;
  };
  // best[k][i]: least cost of words i.. over k lines; cut[k][i]: where the first of those lines ends.
  const best: number[][] = [];
  const cut: number[][] = [];
  for (let k = 0; k <= lines; k++) {
    best.push(new Array<number>(n + 1).fill(Number.POSITIVE_INFINITY));
    cut.push(new Array<number>(n + 1).fill(n));
  }
  best[0][n] = 0;
  for (let k = 1; k <= lines; k++) {
    for (let i = n - k; i >= 0; i--) {
      for (let j = i + 1; j <= n - k + 1; j++) {
        const w = width(i, j);
        const cost = w * w + best[k - 1][j];
        if (cost < best[k][i]) {
          best[k][i] = cost;
          cut[k][i] = j;
        }
      }
    }
  }
  if (!Number.isFinite(best[lines][0])) return greedyLines(words, maxChars);
  const out: string[] = [];
  for (let k = lines, i = 0; k > 0; k--) {
    const j = cut[k][i];
    out.push(words.slice(i, j).join(' '));
    i = j;
  }
  return out;
}

function greedyLines(words: readonly string[], maxChars: number): string[] {
  const out: string[] = [];
  for (const word of words) {
    const last = out.length - 1;
    if (last >= 0 && out[last].length + 1 + word.length <= maxChars) out[last] += ` ${word}`;
    else out.push(word);
  }
  return out;
}

interface Limits {
  maxChars: number;
  maxLines: number;
  maxCueMs: number;
  minCueMs: number;
  maxGapMs: number;
}

/** A word with integer-millisecond times, end >= start. */
interface TimedToken {
  text: string;
  start: number;
  end: number;
}

/** A cue before the cross-cue pass: lines are word lists, times may still overlap neighbours. */
interface RawCue {
  start: number;
  end: number;
  lines: string[][];
}

function* segmentCues(tokens: readonly TimedToken[], limits: Limits): Generator<RawCue> {
  let cue: RawCue | undefined;
  let lineLength = 0;
  let previousEnd = 0;
  for (const token of tokens) {
    if (cue) {
      const fits = lineLength + 1 + token.text.length <= limits.maxChars;
      const full = !fits && cue.lines.length >= limits.maxLines;
      const pause = token.start - previousEnd > limits.maxGapMs;
      const tooLong = token.end - cue.start > limits.maxCueMs;
      if (full || pause || tooLong) {
        yield cue;
        cue = undefined;
      } else if (fits) {
        cue.lines[cue.lines.length - 1].push(token.text);
        lineLength += 1 + token.text.length;
      } else {
        cue.lines.push([token.text]);
        lineLength = token.text.length;
      }
    }
    if (cue) {
      cue.end = Math.max(cue.end, token.end);
    } else {
      cue = { start: token.start, end: token.end, lines: [[token.text]] };
      lineLength = token.text.length;
    }
    previousEnd = Math.max(previousEnd, token.end);
  }
  if (cue) yield cue;
}

function timedTokens(segment: Segment): TimedToken[] {
  const tokens: TimedToken[] = [];
  for (const word of segment.words) {
    const text = normalizeWord(word.word);
    if (text === '') continue;
    const start = secondsToMilliseconds(word.start);
    tokens.push({ text, start, end: Math.max(start, secondsToMilliseconds(word.end)) });
  }
  return tokens.length > 0 ? tokens : proportionalTokens(segment);
}

/**
 * Without word timings the best guess is that speech runs at an even rate over the segment, so each
 * word gets a share of the time proportional to its length (plus one for the space after it).
 */
function proportionalTokens(segment: Segment): TimedToken[] {
  const parts = segment.text.split(/\s+/).filter((p) => p !== '');
  const start = secondsToMilliseconds(segment.start);
  const span = Math.max(0, secondsToMilliseconds(segment.end) - start);
  const total = parts.reduce((sum, p) => sum + p.length + 1, 0);
  let before = 0;
  return parts.map((text) => {
    const token = {
      text,
      start: start + Math.round((span * before) / total),
      end: start + Math.round((span * (before + text.length)) / total),
    };
    before += text.length + 1;
    return token;
  });
}

function normalizeWord(word: string): string {
  return word.replace(/\s+/g, ' ').trim();
}

function requireInteger(name: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
}

function requireNumber(name: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new RangeError(`${name} must be a finite number >= ${min}, got ${String(value)}`);
  }
}
