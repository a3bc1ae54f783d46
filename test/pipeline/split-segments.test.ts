import { describe, expect, it } from 'vitest';
import type { Segment, Word } from '../../src/core/transcript.js';
import { splitSegments } from '../../src/pipeline/split-segments.js';

const w = (word: string, start: number, end: number): Word => ({ word, start, end, confidence: 0.9 });
const seg = (words: Word[], text = words.map((x) => x.word).join(' ')): Segment => ({
  start: words[0]?.start ?? 0,
  end: words.at(-1)?.end ?? 0,
  text,
  words,
});

describe('splitSegments', () => {
  it('splits at pauses and keeps every word once, in order', () => {
    const words = [w('one', 0, 0.3), w('two', 0.35, 0.6), w('three', 1.2, 1.5), w('four', 1.55, 1.9)];
    const out = splitSegments([seg(words)]);
    expect(out.map((s) => s.text)).toEqual(['one two', 'three four']);
    expect(out.flatMap((s) => s.words)).toEqual(words);
    expect(out[0]?.end).toBeLessThanOrEqual(out[1]?.start ?? 0);
  });

  it('bounds segment length without pauses', () => {
    const words = Array.from({ length: 60 }, (_, i) => w(`w${i}`, i * 0.5, i * 0.5 + 0.45));
    const out = splitSegments([seg(words)], { minPauseSeconds: 1, maxSegmentSeconds: 10 });
    expect(out.length).toBeGreaterThanOrEqual(3);
    for (const s of out) expect(s.end - s.start).toBeLessThanOrEqual(10);
    expect(out.flatMap((s) => s.words)).toEqual(words);
  });

  it('leaves segments whose text is not their words (punctuation, casing) untouched', () => {
    const words = [w('hello', 0, 0.3), w('world', 2, 2.3)];
    const original = seg(words, 'Hello, world!');
    expect(splitSegments([original])).toEqual([original]);
  });

  it('keeps the chunk bounds on the outer segments', () => {
    const s = { ...seg([w('a', 1, 1.2), w('b', 3, 3.2)]), start: 0.5, end: 4 };
    const out = splitSegments([s]);
    expect(out[0]?.start).toBe(0.5);
    expect(out.at(-1)?.end).toBe(4);
  });
});
