import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  averageLogprob,
  compressionRatio,
  jsonResponse,
  languageName,
  verboseResponse,
} from '../../../src/api/routes/v1/openai/openai-formats.js';
import { TRANSCRIPT } from '../support.js';

describe('OpenAI response shapes', () => {
  it('json is the text and whole seconds of usage, rounded up', () => {
    expect(jsonResponse(TRANSCRIPT)).toEqual({ text: TRANSCRIPT.text, usage: { type: 'duration', seconds: 3 } });
  });

  it('verbose_json: segments by default, words only when asked, segments dropped when only words are', () => {
    const plain = verboseResponse(TRANSCRIPT, new Set());
    expect(plain.words).toBeUndefined();
    expect(plain.segments?.map((s) => [s.id, s.seek, s.text])).toEqual([
      [0, 0, ' hello world'],
      [1, 150, ' second chunk'],
    ]);
    expect(verboseResponse(TRANSCRIPT, new Set(['word'])).segments).toBeUndefined();
    const both = verboseResponse(TRANSCRIPT, new Set(['word', 'segment']));
    expect(both.words).toEqual([
      { word: 'hello', start: 0, end: 0.5 },
      { word: 'world', start: 0.6, end: 1.2 },
      { word: 'second', start: 1.5, end: 2 },
      { word: 'chunk', start: 2.1, end: 2.9 },
    ]);
    expect(both).toMatchObject({ task: 'transcribe', language: 'english', duration: 2.99, text: TRANSCRIPT.text });
  });

  it('avg_logprob is the mean log of word confidences; compression_ratio is bytes over zlib bytes', () => {
    const [first] = TRANSCRIPT.segments;
    expect(averageLogprob(first as (typeof TRANSCRIPT.segments)[number])).toBeCloseTo(
      (Math.log(0.9) + Math.log(0.8)) / 2,
      10,
    );
    expect(averageLogprob({ start: 0, end: 1, text: '', words: [] })).toBe(0);
    const repetitive = 'la '.repeat(200);
    expect(compressionRatio(repetitive)).toBe(repetitive.length / deflateSync(repetitive).length);
    expect(compressionRatio(repetitive)).toBeGreaterThan(2.4);
  });

  it('names languages as Whisper does', () => {
    expect(languageName('en')).toBe('english');
    expect(languageName('en-US')).toBe('english');
    expect(languageName('de')).toBe('german');
    expect(languageName('zz-unknown')).toBe('zz-unknown');
  });
});
