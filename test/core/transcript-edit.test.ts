import { describe, expect, it } from 'vitest';
import { InvalidEditError } from '../../src/core/errors/index.js';
import { fullText, type Segment, type Transcript } from '../../src/core/transcript.js';
import {
  applyEdits,
  type EditOp,
  MAX_EDIT_OPERATIONS,
  parseEditOps,
  spreadWords,
} from '../../src/core/transcript-edit.js';
import { buildCues } from '../../src/formats/captions.js';
import { expectCaptionRules } from '../formats/caption-rules.js';
import { syntheticTranscript } from '../formats/synthetic-transcript.js';
import { mulberry32 } from '../helpers/prng.js';

function segment(start: number, words: Array<[string, number, number]>, speaker?: string): Segment {
  return {
    start,
    end: words.at(-1)?.[2] ?? start,
    text: words.map((w) => w[0]).join(' '),
    words: words.map(([word, s, e]) => ({ word, start: s, end: e, confidence: 0.7 })),
    ...(speaker === undefined ? {} : { speaker }),
  };
}

const T: Transcript = {
  language: 'en',
  duration: 10,
  segments: [
    segment(0, [
      ['hello', 0, 0.4],
      ['wrld', 0.5, 0.9],
      ['again', 1.0, 1.6],
    ]),
    segment(2, [
      ['second', 2, 2.5],
      ['part', 2.6, 3],
    ]),
    segment(4, [['third', 4, 4.8]], 'Bo'),
  ],
  text: 'hello wrld again second part third',
};

/** The InvalidEditError applyEdits throws, for assertions on its operation index. */
function editError(transcript: Transcript, ops: EditOp[]): InvalidEditError {
  try {
    applyEdits(transcript, ops);
  } catch (err) {
    if (err instanceof InvalidEditError) return err;
    throw err;
  }
  throw new Error('expected InvalidEditError');
}

describe('applyEdits', () => {
  it('replace_text with the same word count keeps every time and confidence', () => {
    const out = applyEdits(T, [{ op: 'replace_text', segment: 0, text: '  hello   world again ' }]);
    expect(out.segments[0]).toEqual({
      ...T.segments[0],
      text: 'hello world again',
      words: T.segments[0]?.words.map((w, k) => ({ ...w, word: ['hello', 'world', 'again'][k] })),
    });
    expect(out.text).toBe('hello world again second part third');
    // Pure: the input is unchanged.
    expect(T.segments[0]?.words[1]?.word).toBe('wrld');
  });

  it('replace_text with another word count re-times the words over the segment by length', () => {
    const out = applyEdits(T, [{ op: 'replace_text', segment: 1, text: 'a longer replacement' }]);
    const s = out.segments[1] as Segment;
    expect(s.start).toBe(2);
    expect(s.end).toBe(3);
    expect(s.words.map((w) => w.word)).toEqual(['a', 'longer', 'replacement']);
    expect(s.words.every((w) => w.confidence === 1)).toBe(true);
    // 1 + 6 + 11 = 18 characters over 1 s.
    expect(s.words.map((w) => [w.start, w.end])).toEqual([
      [2, 2.056],
      [2.056, 2.389],
      [2.389, 3],
    ]);
  });

  it('spreads words monotonically inside the span, whatever their lengths', () => {
    const random = mulberry32(9);
    for (let n = 0; n < 300; n++) {
      const start = Math.round(random() * 1000) / 10;
      const end = start + Math.round(random() * 200) / 10;
      const words = Array.from({ length: 1 + Math.floor(random() * 40) }, () =>
        'x'.repeat(1 + Math.floor(random() * 15)),
      );
      const spread = spreadWords(words, start, end);
      expect(spread.map((w) => w.word)).toEqual(words);
      let previous = start;
      for (const w of spread) {
        expect(w.start).toBeGreaterThanOrEqual(previous);
        expect(w.end).toBeGreaterThanOrEqual(w.start);
        expect(w.end).toBeLessThanOrEqual(end);
        previous = w.end;
      }
      expect(spread[0]?.start).toBe(start);
      expect(spread.at(-1)?.end).toBe(end);
    }
  });

  it('gives a text-only segment word timings when its text is replaced', () => {
    const textOnly: Transcript = { ...T, segments: [{ start: 1, end: 2, text: 'no timings', words: [] }] };
    // 3 + 5 characters over 1 s.
    const out = applyEdits(textOnly, [{ op: 'replace_text', segment: 0, text: 'now timed' }]);
    expect(out.segments[0]?.words.map((w) => [w.word, w.start, w.end])).toEqual([
      ['now', 1, 1.375],
      ['timed', 1.375, 2],
    ]);
  });

  it('split then merge gives the segment back', () => {
    const split = applyEdits(T, [{ op: 'split', segment: 0, word: 2 }]);
    expect(split.segments).toHaveLength(4);
    expect(split.segments[0]).toMatchObject({ start: 0, end: 0.9, text: 'hello wrld' });
    expect(split.segments[1]).toMatchObject({ start: 1.0, end: 1.6, text: 'again' });
    expect(split.text).toBe(T.text);
    const merged = applyEdits(split, [{ op: 'merge', segment: 0 }]);
    expect(merged).toEqual(T);
  });

  it("split copies the speaker; merge keeps the first segment's speaker", () => {
    const t = applyEdits(T, [
      { op: 'set_speaker', segments: [0], speaker: 'Ann' },
      { op: 'split', segment: 0, word: 1 },
    ]);
    expect(t.segments.map((s) => s.speaker)).toEqual(['Ann', 'Ann', undefined, 'Bo']);
    const merged = applyEdits(t, [{ op: 'merge', segment: 2 }]);
    expect(merged.segments[2]).toMatchObject({ start: 2, end: 4.8, text: 'second part third' });
    expect(merged.segments[2]?.speaker).toBeUndefined();
    expect(merged.segments[2]?.words.map((w) => w.word)).toEqual(['second', 'part', 'third']);
  });

  it('applies operations in order, each to the result of the one before', () => {
    const out = applyEdits(T, [
      { op: 'merge', segment: 0 },
      // Segment 1 is now the former segment 2.
      { op: 'replace_text', segment: 1, text: 'last' },
    ]);
    expect(out.segments.map((s) => s.text)).toEqual(['hello wrld again second part', 'last']);
  });

  it('sets, clears and renames speakers', () => {
    const set = applyEdits(T, [{ op: 'set_speaker', segments: [0, 1], speaker: 'Ann' }]);
    expect(set.segments.map((s) => s.speaker)).toEqual(['Ann', 'Ann', 'Bo']);
    const renamed = applyEdits(set, [{ op: 'rename_speaker', from: 'Ann', to: 'Anna' }]);
    expect(renamed.segments.map((s) => s.speaker)).toEqual(['Anna', 'Anna', 'Bo']);
    const cleared = applyEdits(renamed, [{ op: 'set_speaker', segments: [2], speaker: null }]);
    expect(cleared.segments[2]).not.toHaveProperty('speaker');
  });

  it('refuses what cannot apply, naming the operation', () => {
    const cases: Array<[EditOp[], number, RegExp]> = [
      [[{ op: 'replace_text', segment: 3, text: 'x' }], 0, /segment 3 does not exist/],
      [
        [
          { op: 'merge', segment: 0 },
          { op: 'replace_text', segment: 0, text: '' },
        ],
        1,
        /empty/,
      ],
      [[{ op: 'replace_text', segment: 0, text: 'x'.repeat(10_001) }], 0, /longer than 10000/],
      [[{ op: 'split', segment: 0, word: 0 }], 0, /word must be between 1 and 2/],
      [[{ op: 'split', segment: 0, word: 3 }], 0, /word must be between/],
      [[{ op: 'split', segment: 2, word: 1 }], 0, /word must be between/],
      [[{ op: 'merge', segment: 2 }], 0, /last one/],
      [[{ op: 'merge', segment: -1 }], 0, /does not exist/],
      [[{ op: 'set_speaker', segments: [0, 9], speaker: 'A' }], 0, /segment 9/],
      [[{ op: 'set_speaker', segments: [0], speaker: 'y'.repeat(101) }], 0, /at most 100/],
      [[{ op: 'set_speaker', segments: [0], speaker: ' ' }], 0, /empty/],
      [
        [
          { op: 'merge', segment: 0 },
          { op: 'rename_speaker', from: 'Zed', to: 'Z' },
        ],
        1,
        /no segment has speaker/,
      ],
    ];
    for (const [ops, index, message] of cases) {
      const err = editError(T, ops);
      expect(err.operation, JSON.stringify(ops)).toBe(index);
      expect(err.message).toMatch(message);
      expect(err.message).toMatch(new RegExp(`^operation ${index}:`));
      expect(err).toMatchObject({ code: 'invalid_edit', status: 400 });
    }
  });

  it('keeps the caption rules after many random edits of a realistic transcript', () => {
    const random = mulberry32(3);
    let t = syntheticTranscript({ words: 900, seed: 21 });
    const pick = (n: number) => Math.floor(random() * n);
    for (let round = 0; round < 120; round++) {
      const i = pick(t.segments.length);
      const s = t.segments[i] as Segment;
      const r = random();
      let op: EditOp;
      if (r < 0.5) {
        const words = s.words.length > 0 ? s.words.map((w) => w.word) : s.text.split(' ');
        const changed = random() < 0.5 ? [...words.slice(0, -1), 'fixed'] : [...words, 'added', 'words'];
        op = { op: 'replace_text', segment: i, text: changed.join(' ') };
      } else if (r < 0.7 && s.words.length >= 2) {
        op = { op: 'split', segment: i, word: 1 + pick(s.words.length - 1) };
      } else if (r < 0.85 && i + 1 < t.segments.length) {
        op = { op: 'merge', segment: i };
      } else {
        op = { op: 'set_speaker', segments: [i], speaker: random() < 0.5 ? 'Ann' : null };
      }
      t = applyEdits(t, [op]);
    }
    expect(t.text).toBe(fullText(t.segments));
    for (const s of t.segments) {
      for (const w of s.words) {
        expect(w.end).toBeGreaterThanOrEqual(w.start);
      }
    }
    expectCaptionRules(buildCues(t.segments), t);
  });
});

describe('parseEditOps', () => {
  it('keeps only the fields of each operation', () => {
    expect(
      parseEditOps([
        { op: 'replace_text', segment: 1, text: 'x', extra: true },
        { op: 'split', segment: 0, word: 2 },
        { op: 'merge', segment: 3 },
        { op: 'set_speaker', segments: [1, 2], speaker: null },
        { op: 'rename_speaker', from: 'A', to: 'B' },
      ]),
    ).toEqual([
      { op: 'replace_text', segment: 1, text: 'x' },
      { op: 'split', segment: 0, word: 2 },
      { op: 'merge', segment: 3 },
      { op: 'set_speaker', segments: [1, 2], speaker: null },
      { op: 'rename_speaker', from: 'A', to: 'B' },
    ]);
  });

  it('refuses malformed input, naming the operation', () => {
    const cases: Array<[unknown, number]> = [
      [[], 0],
      [Array.from({ length: MAX_EDIT_OPERATIONS + 1 }, () => ({ op: 'merge', segment: 0 })), 0],
      [
        [
          { op: 'merge', segment: 0 },
          { op: 'merge', segment: 1.5 },
        ],
        1,
      ],
      [
        [
          { op: 'merge', segment: 0 },
          { op: 'merge', segment: '1' },
        ],
        1,
      ],
      [[{ op: 'merge', segment: 0 }, { op: 'nope' }], 1],
      [[{ op: 'merge', segment: 0 }, null], 1],
      [[{ op: 'replace_text', segment: 0 }], 0],
      [[{ op: 'set_speaker', segments: [], speaker: 'A' }], 0],
      [[{ op: 'set_speaker', segments: [0], speaker: 3 }], 0],
      [[{ op: 'rename_speaker', from: 'A', to: '' }], 0],
    ];
    for (const [input, index] of cases) {
      expect(() => parseEditOps(input), JSON.stringify(input).slice(0, 60)).toThrow(InvalidEditError);
      try {
        parseEditOps(input);
      } catch (err) {
        expect((err as InvalidEditError).operation).toBe(index);
      }
    }
    expect(parseEditOps(Array.from({ length: MAX_EDIT_OPERATIONS }, () => ({ op: 'merge', segment: 0 })))).toHaveLength(
      MAX_EDIT_OPERATIONS,
    );
  });
});
