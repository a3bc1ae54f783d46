import { describe, expect, it } from 'vitest';
import type { Transcript } from '../../src/core/transcript.js';
import { renderTxt, txtChunks } from '../../src/formats/txt.js';
import { syntheticTranscript } from './synthetic-transcript.js';

const transcript: Transcript = {
  language: 'en',
  duration: 4000,
  text: 'Hello there. How are you? Fine.',
  segments: [
    { start: 0.5, end: 1.75, text: ' Hello there.', words: [] },
    { start: 2, end: 2.1, text: '   ', words: [] },
    { start: 3, end: 4.2, text: 'How are\nyou?', words: [] },
    {
      start: 3700,
      end: 3701.0005,
      text: '',
      words: [{ word: 'Fine.', start: 3700, end: 3701, confidence: 0.9 }],
    },
  ],
};

describe('plain-text writer', () => {
  it('writes one paragraph per segment, skipping empty ones', () => {
    expect(renderTxt(transcript)).toBe('Hello there.\n\nHow are you?\n\nFine.\n');
  });

  it('writes one timestamped line per segment when asked', () => {
    expect(renderTxt(transcript, { timestamps: true })).toBe(
      [
        '[00:00:00.500 --> 00:00:01.750] Hello there.',
        '[00:00:03.000 --> 00:00:04.200] How are you?',
        '[01:01:40.000 --> 01:01:41.001] Fine.',
        '',
      ].join('\n'),
    );
  });

  it('keeps every word of a long transcript, in order', () => {
    const long = syntheticTranscript({ words: 600, seed: 5 });
    const txt = renderTxt(long);
    expect(txt.split('\n\n')).toHaveLength(long.segments.length);
    expect(txt.split(/\s+/).filter((w) => w !== '')).toEqual(long.text.split(' '));
    const lines = renderTxt(long, { timestamps: true }).trimEnd().split('\n');
    expect(lines).toHaveLength(long.segments.length);
    expect(lines.every((l) => /^\[\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}\] \S/.test(l))).toBe(true);
  });

  it('streams one piece per non-empty segment', () => {
    expect(Array.from(txtChunks(transcript))).toHaveLength(3);
  });

  it('writes an empty file for an empty transcript', () => {
    expect(renderTxt({ language: 'en', duration: 0, segments: [], text: '' })).toBe('');
    expect(renderTxt({ language: 'en', duration: 0, segments: [], text: '' }, { timestamps: true })).toBe('');
  });
});
