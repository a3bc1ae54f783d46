import { describe, expect, it } from 'vitest';
import { combineWer, normalizeWords, wordErrorRate } from '../../src/core/wer.js';

describe('normalizeWords', () => {
  it('lowercases, strips punctuation and collapses whitespace', () => {
    expect(normalizeWords('  Hello,   World!\n"Quoted" (text).  ')).toEqual(['hello', 'world', 'quoted', 'text']);
  });

  it('keeps apostrophes inside words and splits on hyphens', () => {
    expect(normalizeWords("Don't be cold-hearted, 'twas ‘said’")).toEqual([
      "don't",
      'be',
      'cold',
      'hearted',
      'twas',
      'said',
    ]);
  });

  it('leaves numbers as written', () => {
    expect(normalizeWords('3 three 2nd')).toEqual(['3', 'three', '2nd']);
  });
});

describe('wordErrorRate', () => {
  it('is zero for texts that differ only in case and punctuation', () => {
    expect(wordErrorRate('The cat sat.', 'the CAT sat')).toEqual({
      wer: 0,
      substitutions: 0,
      deletions: 0,
      insertions: 0,
      refWords: 3,
    });
  });

  it('counts one substitution', () => {
    expect(wordErrorRate('the cat sat', 'the bat sat')).toMatchObject({
      substitutions: 1,
      deletions: 0,
      insertions: 0,
    });
    expect(wordErrorRate('the cat sat', 'the bat sat').wer).toBeCloseTo(1 / 3);
  });

  it('counts one deletion', () => {
    expect(wordErrorRate('a b c d', 'a c d')).toEqual({
      wer: 0.25,
      substitutions: 0,
      deletions: 1,
      insertions: 0,
      refWords: 4,
    });
  });

  it('counts one insertion', () => {
    expect(wordErrorRate('a b', 'a x b')).toEqual({
      wer: 0.5,
      substitutions: 0,
      deletions: 0,
      insertions: 1,
      refWords: 2,
    });
  });

  it('keeps deletions and insertions apart whichever text is longer', () => {
    // Hypothesis longer: two insertions. Reference longer: one substitution and two deletions
    // (any 3-edit alignment of 5 words onto 3 needs exactly two deletions).
    expect(wordErrorRate('a b', 'x a b y')).toMatchObject({ substitutions: 0, deletions: 0, insertions: 2, wer: 1 });
    expect(wordErrorRate('a b c d e', 'a x e')).toMatchObject({ substitutions: 1, deletions: 2, insertions: 0 });
  });

  it('scores a real PocketSphinx error pattern by hand', () => {
    // he was not [an->until] [ill->this] [disposed->blows] young man: 3 substitutions of 8 words.
    const r = wordErrorRate('he was not an ill disposed young man', 'he was not until this blows young man');
    expect(r).toEqual({ wer: 3 / 8, substitutions: 3, deletions: 0, insertions: 0, refWords: 8 });
  });

  it('handles empty texts', () => {
    expect(wordErrorRate('one two three', '')).toEqual({
      wer: 1,
      substitutions: 0,
      deletions: 3,
      insertions: 0,
      refWords: 3,
    });
    expect(wordErrorRate('', '')).toEqual({ wer: 0, substitutions: 0, deletions: 0, insertions: 0, refWords: 0 });
    // No reference words: the rate is the insertion count (denominator 1), never Infinity.
    expect(wordErrorRate('', 'uh um')).toEqual({ wer: 2, substitutions: 0, deletions: 0, insertions: 2, refWords: 0 });
  });

  it('accepts pre-split word arrays without normalising them', () => {
    expect(wordErrorRate(['A', 'b'], ['a', 'b'])).toMatchObject({ substitutions: 1 });
  });

  it('agrees with a full-matrix edit distance on random word sequences', () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const words = (len: number): string[] => Array.from({ length: len }, () => `w${rand(4)}`);
    for (let trial = 0; trial < 200; trial++) {
      const ref = words(rand(12));
      const hyp = words(rand(12));
      const r = wordErrorRate(ref, hyp);
      expect(r.substitutions + r.deletions + r.insertions).toBe(fullMatrixDistance(ref, hyp));
      // The split must be consistent with the lengths: hyp = ref - deletions + insertions.
      expect(ref.length - r.deletions + r.insertions).toBe(hyp.length);
    }
  });
});

describe('combineWer', () => {
  it('sums errors and reference words instead of averaging rates', () => {
    const parts = [wordErrorRate('a b c d', 'a b c'), wordErrorRate('x y', 'x q'), wordErrorRate('m', 'm n')];
    // Rates 1/4, 1/2 and 1/1 average to 0.58; the corpus rate is 3 errors / 7 words.
    expect(combineWer(parts)).toEqual({ wer: 3 / 7, substitutions: 1, deletions: 1, insertions: 1, refWords: 7 });
  });
});

function fullMatrixDistance(a: readonly string[], b: readonly string[]): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      row[j] = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}
