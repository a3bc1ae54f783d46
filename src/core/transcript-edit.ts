import { InvalidEditError } from './errors/index.js';
import { fullText, type Segment, type Transcript, type Word } from './transcript.js';

/**
 * Edits a person makes to a finished transcript. Operations apply in order, each to the result of
 * the one before (indexes refer to the transcript as the previous operation left it), and a request
 * applies all of them or none: `applyEdits` is pure and throws before anything is stored.
 */

/** Most operations in one request; an editor sends a handful per save. */
export const MAX_EDIT_OPERATIONS = 200;
/** Longest text of one segment (a segment is a sentence or a few, so this is generous). */
export const MAX_SEGMENT_TEXT_CHARS = 10_000;
/** Longest speaker name. */
export const MAX_SPEAKER_CHARS = 100;

export type EditOp =
  /**
   * New words for segment `segment`, split on whitespace. With as many words as before, each keeps
   * its times and confidence (a spelling fix); otherwise the new words are spread over the
   * segment's span by their length, with confidence 1. Empty text is refused: removing words is
   * not an edit this version offers, and a segment without words would leave a hole in the captions.
   */
  | { op: 'replace_text'; segment: number; text: string }
  /** Splits segment `segment` before its word `word` (1 <= word < number of words). */
  | { op: 'split'; segment: number; word: number }
  /** Merges segment `segment` with the next one (the speaker of the first is kept). */
  | { op: 'merge'; segment: number }
  /** Sets (or with null, clears) the speaker of the listed segments. */
  | { op: 'set_speaker'; segments: number[]; speaker: string | null }
  /** Renames a speaker in every segment that has it. */
  | { op: 'rename_speaker'; from: string; to: string };

export type EditOpName = EditOp['op'];
export const EDIT_OP_NAMES: readonly EditOpName[] = ['replace_text', 'split', 'merge', 'set_speaker', 'rename_speaker'];

/**
 * Checks untrusted input (a request body) operation by operation and returns it typed. Only the
 * fields an operation has are kept. Throws InvalidEditError naming the first bad operation.
 */
export function parseEditOps(input: unknown): EditOp[] {
  if (!Array.isArray(input) || input.length === 0 || input.length > MAX_EDIT_OPERATIONS) {
    throw new InvalidEditError(0, `operations must be a list of 1 to ${MAX_EDIT_OPERATIONS} operations`);
  }
  return input.map((raw, i) => parseOp(raw, i));
}

function parseOp(raw: unknown, i: number): EditOp {
  const fail = (reason: string): never => {
    throw new InvalidEditError(i, reason);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('not an object');
  const o = raw as Record<string, unknown>;
  const index = (key: string): number => {
    const v = o[key];
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : fail(`${key} must be a non-negative integer`);
  };
  const name = (key: string): string => {
    const v = o[key];
    return typeof v === 'string' ? checkSpeaker(v, i) : fail(`${key} must be a string`);
  };
  switch (o.op) {
    case 'replace_text': {
      const text = o.text;
      if (typeof text !== 'string') return fail('text must be a string');
      return { op: 'replace_text', segment: index('segment'), text };
    }
    case 'split':
      return { op: 'split', segment: index('segment'), word: index('word') };
    case 'merge':
      return { op: 'merge', segment: index('segment') };
    case 'set_speaker': {
      const list = o.segments;
      if (!Array.isArray(list) || list.length === 0) return fail('segments must be a non-empty list of indexes');
      const segments = list.map((v) =>
        typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : fail('segments must hold non-negative integers'),
      );
      const speaker = o.speaker === null ? null : name('speaker');
      return { op: 'set_speaker', segments, speaker };
    }
    case 'rename_speaker':
      return { op: 'rename_speaker', from: name('from'), to: name('to') };
    default:
      return fail(`unknown op ${JSON.stringify(o.op)} (one of ${EDIT_OP_NAMES.join(', ')})`);
  }
}

function checkSpeaker(name: string, i: number): string {
  if (name.trim().length === 0) throw new InvalidEditError(i, 'a speaker name must not be empty');
  if (name.length > MAX_SPEAKER_CHARS) {
    throw new InvalidEditError(i, `a speaker name is at most ${MAX_SPEAKER_CHARS} characters`);
  }
  return name;
}

/**
 * The transcript after `ops`, a new object (the input is not changed). Its `text` is rebuilt from
 * the segments. Throws InvalidEditError (with the operation's index) when an operation cannot apply.
 */
export function applyEdits(transcript: Transcript, ops: readonly EditOp[]): Transcript {
  let segments = transcript.segments;
  ops.forEach((op, i) => {
    segments = applyOp(segments, op, i);
  });
  return { ...transcript, segments, text: fullText(segments) };
}

function applyOp(segments: readonly Segment[], op: EditOp, i: number): Segment[] {
  const fail = (reason: string): never => {
    throw new InvalidEditError(i, reason);
  };
  const at = (index: number): Segment => {
    if (!Number.isInteger(index) || index < 0 || index >= segments.length) {
      return fail(`segment ${index} does not exist (the transcript has ${segments.length})`);
    }
    return segments[index] as Segment;
  };
  const out = [...segments];
  switch (op.op) {
    case 'replace_text': {
      const segment = at(op.segment);
      if (op.text.length > MAX_SEGMENT_TEXT_CHARS) fail(`text is longer than ${MAX_SEGMENT_TEXT_CHARS} characters`);
      const words = op.text.split(/\s+/).filter((w) => w.length > 0);
      if (words.length === 0) fail('text must contain a word (empty text is not allowed)');
      out[op.segment] = replaceWords(segment, words);
      return out;
    }
    case 'split': {
      const segment = at(op.segment);
      if (!Number.isInteger(op.word) || op.word < 1 || op.word >= segment.words.length) {
        fail(`word must be between 1 and ${segment.words.length - 1} to split segment ${op.segment}`);
      }
      const first = segment.words.slice(0, op.word);
      const second = segment.words.slice(op.word);
      out.splice(
        op.segment,
        1,
        withWords(segment, segment.start, (first.at(-1) as Word).end, first),
        withWords(segment, (second[0] as Word).start, segment.end, second),
      );
      return out;
    }
    case 'merge': {
      const a = at(op.segment);
      if (op.segment + 1 >= segments.length) fail(`segment ${op.segment} is the last one; there is nothing to merge`);
      const b = segments[op.segment + 1] as Segment;
      const merged: Segment = {
        start: a.start,
        end: b.end,
        text: [a.text, b.text].filter((t) => t.length > 0).join(' '),
        words: [...a.words, ...b.words],
        ...(a.speaker === undefined ? {} : { speaker: a.speaker }),
      };
      out.splice(op.segment, 2, merged);
      return out;
    }
    case 'set_speaker': {
      if (op.speaker !== null) checkSpeaker(op.speaker, i);
      for (const index of op.segments) out[index] = withSpeaker(at(index), op.speaker);
      return out;
    }
    case 'rename_speaker': {
      checkSpeaker(op.from, i);
      checkSpeaker(op.to, i);
      let renamed = 0;
      for (const [index, segment] of out.entries()) {
        if (segment.speaker !== op.from) continue;
        out[index] = withSpeaker(segment, op.to);
        renamed++;
      }
      if (renamed === 0) fail(`no segment has speaker ${JSON.stringify(op.from)}`);
      return out;
    }
  }
}

/** Same word count: strings replaced, times and confidence kept. Otherwise re-timed by length. */
function replaceWords(segment: Segment, words: readonly string[]): Segment {
  const text = words.join(' ');
  if (words.length === segment.words.length) {
    return { ...segment, text, words: segment.words.map((w, k) => ({ ...w, word: words[k] as string })) };
  }
  return { ...segment, text, words: spreadWords(words, segment.start, segment.end) };
}

/**
 * Words laid over [start, end] one after another, each getting a share of the span proportional to
 * its length: no gaps, in order, inside the segment. Times are whole milliseconds (as the engines
 * give them), rounded from the cumulative positions so they never go backwards; the last word ends
 * exactly at `end`.
 */
export function spreadWords(words: readonly string[], start: number, end: number): Word[] {
  const total = words.reduce((n, w) => n + w.length, 0);
  const span = Math.max(0, end - start);
  const at = (chars: number): number => Math.min(end, Math.max(start, roundMs(start + (span * chars) / total)));
  let done = 0;
  return words.map((word, k) => {
    const wordStart = at(done);
    done += word.length;
    return { word, start: wordStart, end: k === words.length - 1 ? Math.max(wordStart, end) : at(done), confidence: 1 };
  });
}

function roundMs(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

function withWords(segment: Segment, start: number, end: number, words: Word[]): Segment {
  return {
    start,
    end,
    text: words.map((w) => w.word).join(' '),
    words,
    ...(segment.speaker === undefined ? {} : { speaker: segment.speaker }),
  };
}

function withSpeaker(segment: Segment, speaker: string | null): Segment {
  const { speaker: _old, ...rest } = segment;
  return speaker === null ? rest : { ...rest, speaker };
}
