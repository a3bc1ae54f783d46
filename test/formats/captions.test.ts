import { describe, expect, it } from 'vitest';
import type { Segment, Word } from '../../src/core/transcript.js';
import {
  balanceLines,
  buildCues,
  type CaptionOptions,
  DEFAULT_CAPTION_OPTIONS,
  generateCues,
  resolveCaptionOptions,
} from '../../src/formats/captions.js';
import { expectCaptionRules } from './caption-rules.js';
import { LONG_WORDS, syntheticTranscript } from './synthetic-transcript.js';

/** Words spoken back to back from `start`, each `each` seconds long with `gap` between them. */
function words(text: string, start = 0, each = 0.3, gap = 0.05): Word[] {
  return text.split(' ').map((word, i) => {
    const s = start + i * (each + gap);
    return { word, start: round(s), end: round(s + each), confidence: 0.9 };
  });
}

function segment(ws: Word[]): Segment {
  return {
    start: ws[0]?.start ?? 0,
    end: ws[ws.length - 1]?.end ?? 0,
    text: ws.map((w) => w.word).join(' '),
    words: ws,
  };
}

function round(s: number): number {
  return Math.round(s * 1000) / 1000;
}

describe('buildCues on a long synthetic transcript', () => {
  const transcript = syntheticTranscript({ words: 800, seed: 7 });

  it('is long and varied enough to exercise every rule', () => {
    const all = transcript.segments.flatMap((s) => s.words);
    expect(transcript.segments.flatMap((s) => s.text.split(' ')).length).toBeGreaterThanOrEqual(800);
    expect(transcript.segments.some((s) => s.words.length === 0)).toBe(true);
    expect(all.some((w) => LONG_WORDS.includes(w.word))).toBe(true);
    expect(all.some((w) => w.end - w.start > 7)).toBe(true);
    expect(all.some((w) => w.end === w.start)).toBe(true);
  });

  it('follows every caption rule with the defaults', () => {
    const cues = buildCues(transcript.segments);
    expectCaptionRules(cues, transcript);
    // The defaults actually shape the output: full two-line cues, long words alone, 7 s caps.
    expect(cues.some((c) => c.lines.length === 2)).toBe(true);
    expect(cues.some((c) => c.lines.some((l) => LONG_WORDS.includes(l)))).toBe(true);
    expect(cues.some((c) => Math.round((c.end - c.start) * 1000) === 7000)).toBe(true);
    expect(Math.max(...cues.flatMap((c) => c.lines.filter((l) => l.includes(' ')).map((l) => l.length)))).toBe(42);
  });

  it.each<[string, CaptionOptions]>([
    ['narrow lines', { maxCharsPerLine: 20 }],
    ['one line per cue', { maxLinesPerCue: 1 }],
    ['three lines per cue', { maxLinesPerCue: 3, maxCharsPerLine: 32 }],
    ['short cues', { maxCueSeconds: 2.5, minCueSeconds: 0.5 }],
    ['no minimum duration', { minCueSeconds: 0 }],
    ['split at every small pause', { maxGapSeconds: 0.1 }],
    ['greedy lines', { balanceLines: false }],
  ])('follows every caption rule with %s', (_name, options) => {
    expectCaptionRules(buildCues(transcript.segments, options), transcript, options);
  });

  it('lays out more, smaller cues as the limits tighten', () => {
    const count = (o?: CaptionOptions) => buildCues(transcript.segments, o).length;
    const base = count();
    expect(count({ maxCharsPerLine: 20 })).toBeGreaterThan(base);
    expect(count({ maxLinesPerCue: 1 })).toBeGreaterThan(base);
    expect(count({ maxCueSeconds: 2.5 })).toBeGreaterThan(base);
    expect(count({ maxGapSeconds: 0.1 })).toBeGreaterThan(base);
    expect(count({ maxLinesPerCue: 3 })).toBeLessThan(base);
  });

  it('balances two-line cues, and leaves greedy ones top-heavy when asked', () => {
    const balanced = buildCues(transcript.segments).filter((c) => c.lines.length === 2);
    for (const cue of balanced) {
      const ws = cue.lines.join(' ').split(' ');
      // No other split point gives more even lines.
      const spread = (a: string, b: string) => Math.abs(a.length - b.length);
      const best = Math.min(
        ...ws.slice(1).map((_, i) => {
          const [a, b] = [ws.slice(0, i + 1).join(' '), ws.slice(i + 1).join(' ')];
          const valid = (l: string) => l.length <= 42 || !l.includes(' ');
          return valid(a) && valid(b) ? spread(a, b) : Number.POSITIVE_INFINITY;
        }),
      );
      expect(spread(cue.lines[0] as string, cue.lines[1] as string)).toBe(best);
    }
    const greedy = buildCues(transcript.segments, { balanceLines: false }).filter((c) => c.lines.length === 2);
    for (const cue of greedy) {
      const [top, bottom] = cue.lines as [string, string];
      // The top line took words until the next one no longer fitted.
      expect(top.length + 1 + (bottom.split(' ')[0] as string).length).toBeGreaterThan(42);
    }
  });

  it('streams the same cues it builds', () => {
    expect(Array.from(generateCues(transcript.segments))).toEqual(buildCues(transcript.segments));
  });
});

describe('buildCues', () => {
  it('returns no cues for no segments, or segments with no words and no text', () => {
    expect(buildCues([])).toEqual([]);
    expect(buildCues([{ start: 0, end: 3, text: '  ', words: [] }])).toEqual([]);
    expect(buildCues([segment([{ word: ' ', start: 0, end: 1, confidence: 1 }])])).toEqual([]);
  });

  it('keeps a short sentence on one line, timed from its first word to its last', () => {
    const cues = buildCues([segment(words('hello there world', 1.2))]);
    expect(cues).toEqual([{ start: 1.2, end: 2.2, lines: ['hello there world'] }]);
  });

  it('wraps onto a second line, balanced by default and greedy when asked', () => {
    const text = 'the quarterly budget review is scheduled for next week';
    const seg = segment(words(text, 0, 0.1, 0.02));
    expect(buildCues([seg])).toEqual([
      { start: 0, end: 1.06, lines: ['the quarterly budget review', 'is scheduled for next week'] },
    ]);
    expect(buildCues([seg], { balanceLines: false })[0]?.lines).toEqual([
      'the quarterly budget review is scheduled',
      'for next week',
    ]);
  });

  it('starts a new cue when both lines are full', () => {
    const text = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    const cues = buildCues([segment(words(text, 0, 0.1, 0.02))]);
    expect(cues.map((c) => c.lines.join(' ').split(' ').length)).toEqual([13, 12, 5]);
    expect(cues.every((c) => c.lines.length <= 2 && c.lines.every((l) => l.length <= 42))).toBe(true);
  });

  it('starts a new cue after a pause longer than maxGapSeconds, but not a shorter one', () => {
    const ws = [...words('before the pause', 0), ...words('after it', 2.55)];
    // "pause" ends at 1.0: a 1.55 s gap.
    expect(buildCues([segment(ws)]).map((c) => c.lines)).toEqual([['before the pause'], ['after it']]);
    expect(buildCues([segment(ws)], { maxGapSeconds: 1.6 }).map((c) => c.lines)).toEqual([
      ['before the pause after it'],
    ]);
  });

  it('never joins words from two segments into one cue', () => {
    const cues = buildCues([segment(words('first segment', 0)), segment(words('second', 0.7))]);
    expect(cues.map((c) => c.lines)).toEqual([['first segment'], ['second']]);
    expect(cues[0]?.end).toBe(0.7);
  });

  it('keeps each cue within maxCueSeconds by starting a new one', () => {
    // 20 one-second words, back to back: short enough text, too long on screen.
    const text = Array.from({ length: 20 }, (_, i) => `w${i}`).join(' ');
    const cues = buildCues([segment(words(text, 0, 1, 0))]);
    expect(cues.map((c) => [c.start, c.end])).toEqual([
      [0, 7],
      [7, 14],
      [14, 20],
    ]);
    expect(buildCues([segment(words(text, 0, 1, 0))], { maxCueSeconds: 4 }).map((c) => c.end - c.start)).toEqual([
      4, 4, 4, 4, 4,
    ]);
  });

  it('cuts a single word that lasts longer than a cue may', () => {
    const cues = buildCues([segment([{ word: 'hmmmmm', start: 3, end: 12.5, confidence: 0.4 }])]);
    expect(cues).toEqual([{ start: 3, end: 10, lines: ['hmmmmm'] }]);
  });

  it('puts a word longer than a line on its own line and never splits it', () => {
    const long = 'supercalifragilisticexpialidocious-and-then-some';
    const cues = buildCues([segment(words(`it was ${long} indeed`, 0, 0.2, 0))]);
    // "indeed" does not fit after the long word and the cue has no third line.
    expect(cues.map((c) => c.lines)).toEqual([['it was', long], ['indeed']]);
    expect(buildCues([segment(words(`it was ${long} indeed`))], { maxLinesPerCue: 3 })[0]?.lines).toEqual([
      'it was',
      long,
      'indeed',
    ]);
    expect(buildCues([segment(words(long))], { maxCharsPerLine: 10 })[0]?.lines).toEqual([long]);
  });

  it('keeps a short cue up for the minimum duration, but never over the next cue', () => {
    const lone = buildCues([segment(words('hi', 5, 0.1))]);
    expect(lone).toEqual([{ start: 5, end: 5.833, lines: ['hi'] }]);
    const crowded = buildCues([segment(words('hi', 5, 0.1)), segment(words('there', 5.3, 0.2))]);
    expect(crowded.map((c) => [c.start, c.end])).toEqual([
      [5, 5.3],
      [5.3, 6.133],
    ]);
    expect(buildCues([segment(words('hi', 5, 0.1))], { minCueSeconds: 0 })[0]?.end).toBe(5.1);
    expect(buildCues([segment(words('hi', 5, 0.1))], { minCueSeconds: 2 })[0]?.end).toBe(7);
  });

  it('never overlaps cues, even when segments overlap or come out of order', () => {
    const a = segment(words('one two three', 10));
    const b = segment(words('four five', 10.5));
    const c = segment(words('zero', 2));
    const cues = buildCues([a, b, c]);
    expect(cues.map((x) => x.lines.join(' '))).toEqual(['zero', 'one two three', 'four five']);
    for (let i = 1; i < cues.length; i++) {
      expect(cues[i]?.start).toBeGreaterThanOrEqual(cues[i - 1]?.end as number);
    }
  });

  it('gives zero-length words a visible, non-overlapping cue', () => {
    const z = (word: string, t: number): Word => ({ word, start: t, end: t, confidence: 1 });
    const cues = buildCues([segment([z('a', 1)]), segment([z('b', 1)]), segment([z('c', 1)])]);
    expect(cues.map((c) => [c.start, c.end])).toEqual([
      [1, 1.001],
      [1.001, 1.002],
      [1.002, 1.835],
    ]);
  });

  it('rounds times to whole milliseconds', () => {
    const cues = buildCues([segment([{ word: 'x', start: 1.23456, end: 2.34567, confidence: 1 }])]);
    expect(cues).toEqual([{ start: 1.235, end: 2.346, lines: ['x'] }]);
  });

  it('trims words and collapses whitespace inside them, skipping blank ones', () => {
    const ws: Word[] = [
      { word: ' New\n York', start: 0, end: 0.5, confidence: 1 },
      { word: '', start: 0.5, end: 0.6, confidence: 1 },
      { word: '\tcity ', start: 0.6, end: 1, confidence: 1 },
    ];
    expect(buildCues([segment(ws)])[0]?.lines).toEqual(['New York city']);
  });

  it('spreads a segment without word timings over its time by character count', () => {
    const cues = buildCues([{ start: 10, end: 16, text: 'aaaa bbbbbbb c', words: [] }], { maxCharsPerLine: 9 });
    // Weights 5 + 8 + 2 = 15 over 6 s: a at 10.0-11.6, b at 12.0-14.8, c at 15.2-15.6.
    expect(cues).toEqual([{ start: 10, end: 15.6, lines: ['aaaa', 'bbbbbbb c'] }]);
    const long = Array.from({ length: 60 }, (_, i) => `t${i}`).join(' ');
    const split = buildCues([{ start: 0, end: 30, text: long, words: [] }]);
    expect(split.length).toBeGreaterThan(4);
    expect(split.every((c) => c.end - c.start <= 7)).toBe(true);
    expect(split.flatMap((c) => c.lines.join(' ').split(' '))).toEqual(long.split(' '));
  });
});

describe('balanceLines', () => {
  it('evens out lines, preferring the longer line at the bottom on a tie', () => {
    expect(balanceLines(['a', 'bb', 'a'], 2, 42)).toEqual(['a', 'bb a']);
    expect(balanceLines(['one', 'two', 'three', 'four'], 2, 42)).toEqual(['one two', 'three four']);
    expect(balanceLines(['x'], 2, 42)).toEqual(['x']);
    expect(balanceLines(['a', 'b', 'c'], 3, 42)).toEqual(['a', 'b', 'c']);
  });

  it('keeps multi-word lines within the limit even next to a long word', () => {
    const long = 'x'.repeat(50);
    expect(balanceLines([long, 'aaaa', 'bbbb'], 2, 10)).toEqual([long, 'aaaa bbbb']);
    expect(balanceLines(['aaaa', long, 'bb', 'cc'], 3, 10)).toEqual(['aaaa', long, 'bb cc']);
    // No two-line split keeps "aaaa bbbb cccc" within 10: fall back to greedy filling.
    expect(balanceLines([long, 'aaaa', 'bbbb', 'cccc'], 2, 10)).toEqual([long, 'aaaa bbbb', 'cccc']);
  });
});

describe('resolveCaptionOptions', () => {
  it('fills in the defaults, ignoring undefined fields', () => {
    expect(resolveCaptionOptions()).toEqual(DEFAULT_CAPTION_OPTIONS);
    expect(resolveCaptionOptions({ maxCharsPerLine: undefined, maxLinesPerCue: 3 })).toEqual({
      ...DEFAULT_CAPTION_OPTIONS,
      maxLinesPerCue: 3,
    });
    expect(resolveCaptionOptions({ timestamps: true } as CaptionOptions)).toEqual(DEFAULT_CAPTION_OPTIONS);
    expect(DEFAULT_CAPTION_OPTIONS).toMatchObject({ maxCharsPerLine: 42, maxLinesPerCue: 2, maxCueSeconds: 7 });
  });

  it.each<CaptionOptions>([
    { maxCharsPerLine: 0 },
    { maxCharsPerLine: 12.5 },
    { maxLinesPerCue: 0 },
    { maxCueSeconds: 0 },
    { maxCueSeconds: Number.NaN },
    { minCueSeconds: -1 },
    { maxGapSeconds: Number.POSITIVE_INFINITY },
    { minCueSeconds: 3, maxCueSeconds: 2 },
  ])('rejects %o', (options) => {
    expect(() => resolveCaptionOptions(options)).toThrow(RangeError);
    expect(() => buildCues([], options)).toThrow(RangeError);
  });
});
