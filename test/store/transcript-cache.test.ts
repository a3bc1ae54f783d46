import { describe, expect, it } from 'vitest';
import type { Transcript } from '../../src/core/transcript.js';
import { TranscriptCache } from '../../src/store/transcript-cache.js';

const t = (text: string): Transcript => ({ language: 'en', duration: 1, segments: [], text });

describe('TranscriptCache', () => {
  it('answers only for the version kept, and keeps one version per task', () => {
    const cache = new TranscriptCache(1000, 500);
    cache.set('a', '1:10', t('one'), 100);
    expect(cache.get('a', '1:10')).toEqual(t('one'));
    expect(cache.get('a', '1:11')).toBeNull();
    expect(cache.get('b', '1:10')).toBeNull();
    cache.set('a', '2:12', t('two'), 100);
    expect(cache.get('a', '1:10')).toBeNull();
    expect(cache.get('a', '2:12')).toEqual(t('two'));
    expect(cache.bytes).toBe(104);
  });

  it('drops the least recently used past its bound, never keeps an entry over the entry bound', () => {
    const cache = new TranscriptCache(300, 200);
    cache.set('a', 'v', t('a'), 99);
    cache.set('b', 'v', t('b'), 99);
    cache.set('c', 'v', t('c'), 99);
    expect(cache.get('a', 'v')).not.toBeNull(); // a is now the most recently used
    cache.set('d', 'v', t('d'), 99);
    expect(cache.get('b', 'v')).toBeNull();
    expect(['a', 'c', 'd'].map((k) => cache.get(k, 'v') !== null)).toEqual([true, true, true]);
    expect(cache.bytes).toBe(300);
    cache.set('e', 'v', t('e'), 200);
    expect(cache.get('e', 'v')).toBeNull();
    expect(cache.bytes).toBe(300);
  });

  it('forgets a deleted task', () => {
    const cache = new TranscriptCache();
    cache.set('a', 'v', t('a'), 10);
    cache.delete('a');
    expect(cache.get('a', 'v')).toBeNull();
    expect(cache.bytes).toBe(0);
  });
});
