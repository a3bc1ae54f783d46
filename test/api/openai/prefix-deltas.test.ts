import { describe, expect, it } from 'vitest';
import { PrefixDeltas } from '../../../src/api/routes/v1/openai/prefix-deltas.js';
import type { Segment } from '../../../src/core/transcript.js';

const seg = (text: string): Segment[] => (text === '' ? [] : [{ start: 0, end: 1, text, words: [] }]);

describe('PrefixDeltas', () => {
  it('sends a chunk once every chunk before it has, joined by single spaces', () => {
    const d = new PrefixDeltas(10);
    expect(d.add(1, seg('two'))).toBe('');
    expect(d.add(2, seg('three'))).toBe('');
    expect(d.add(0, seg('one'))).toBe('one two three');
    expect(d.add(3, seg('four'))).toBe(' four');
    expect(d.finish('one two three four')).toBe('');
    expect(d.text).toBe('one two three four');
  });

  it('skips silent chunks and chunks seen before (a retried attempt)', () => {
    const d = new PrefixDeltas(10);
    expect(d.add(0, seg(''))).toBe('');
    expect(d.add(1, seg('hello'))).toBe('hello');
    expect(d.add(1, seg('hullo'))).toBe('');
    expect(d.add(0, seg('again'))).toBe('');
    expect(d.add(2, seg('world'))).toBe(' world');
  });

  it('past its bound stops and sends the rest at the end, so the deltas still add up', () => {
    const d = new PrefixDeltas(2);
    const out = [d.add(0, seg('a')), d.add(2, seg('c')), d.add(3, seg('d')), d.add(4, seg('e')), d.add(1, seg('b'))];
    expect(out).toEqual(['a', '', '', '', '']);
    const rest = d.finish('a b c d e');
    expect(out.join('') + rest).toBe('a b c d e');
  });

  it('sends nothing more when the final text does not continue what was streamed', () => {
    const d = new PrefixDeltas(10);
    d.add(0, seg('first try'));
    expect(d.finish('second try entirely')).toBe('');
  });
});
