import { describe, expect, it } from 'vitest';
import { EntryNames, safeStem } from '../../src/services/export-names.js';
import { normaliseTitle } from '../../src/services/library.service.js';

describe('export entry names', () => {
  it('makes a stem safe: separators, control and reserved characters replaced, ends trimmed, length bounded', () => {
    expect(safeStem('Board: Q3/Q4 review')).toBe('Board_ Q3_Q4 review');
    expect(safeStem('..\\..\\etc/passwd')).toBe('_.._etc_passwd');
    expect(safeStem('a\u0000b\nc\td')).toBe('a_b_c_d');
    expect(safeStem('  spaced   out  ')).toBe('spaced out');
    expect(safeStem('trailing dots...')).toBe('trailing dots');
    expect(safeStem('.hidden')).toBe('hidden');
    expect(safeStem('CON')).toBe('_CON');
    expect(safeStem('lpt1.txt')).toBe('_lpt1.txt');
    expect(safeStem('console')).toBe('console');
    expect(safeStem('...')).toBe('transcript');
    expect(safeStem('')).toBe('transcript');
    expect(safeStem('é'.repeat(300))).toBe('é'.repeat(120));
    // Characters outside the BMP are not cut in half.
    expect(Array.from(safeStem('🎙'.repeat(200)))).toHaveLength(120);
  });

  it('hands out distinct names, case-insensitively, keeping reserved ones free', () => {
    const names = new EntryNames(['SKIPPED.txt']);
    expect(names.next('Talk', 'srt')).toBe('Talk.srt');
    expect(names.next('talk', 'srt')).toBe('talk (2).srt');
    expect(names.next('Talk', 'srt')).toBe('Talk (3).srt');
    expect(names.next('Talk', 'vtt')).toBe('Talk.vtt');
    expect(names.next('skipped', 'txt')).toBe('skipped (2).txt');
    expect(names.next('Talk (2)', 'srt')).toBe('Talk (2) (2).srt');
  });
});

describe('normaliseTitle', () => {
  it('trims, turns control characters into spaces, and treats blank as none', () => {
    expect(normaliseTitle('  Team sync ')).toBe('Team sync');
    expect(normaliseTitle('line\nbreak')).toBe('line break');
    expect(normaliseTitle(' \t ')).toBeNull();
    expect(normaliseTitle('')).toBeNull();
    expect(normaliseTitle(null)).toBeNull();
    expect(normaliseTitle(undefined)).toBeNull();
    expect(normaliseTitle('x'.repeat(200))).toHaveLength(200);
    expect(() => normaliseTitle('x'.repeat(201))).toThrow(/at most 200/);
  });
});
