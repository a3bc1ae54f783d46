import { describe, expect, it } from 'vitest';
import type { Transcript } from '../../src/core/transcript.js';
import { canonicalTranscript, jsonChunks, renderJson } from '../../src/formats/json.js';
import { syntheticTranscript } from './synthetic-transcript.js';

describe('JSON writer', () => {
  const transcript = syntheticTranscript({ words: 500, seed: 9 });

  it('parses back to an equal transcript, pretty or compact', () => {
    for (const pretty of [true, false]) {
      expect(JSON.parse(renderJson(transcript, { pretty }))).toEqual(transcript);
    }
  });

  it('is pretty by default and compact when asked', () => {
    const pretty = renderJson(transcript);
    expect(pretty).toBe(`${JSON.stringify(canonicalTranscript(transcript), null, 2)}\n`);
    expect(renderJson(transcript, { pretty: false })).toBe(JSON.stringify(canonicalTranscript(transcript)));
    expect(renderJson(transcript, { pretty: false })).not.toContain('\n');
  });

  it('writes keys in one fixed order whatever order the object was built in, dropping unknown ones', () => {
    const shuffled = {
      segments: [
        {
          words: [{ confidence: 0.5, end: 1, extra: true, start: 0.5, word: 'hi' }],
          text: 'hi',
          end: 1,
          start: 0.5,
        },
      ],
      partial: true,
      text: 'hi',
      engine: 'internal detail',
      duration: 10,
      language: 'en',
    } as unknown as Transcript;
    expect(renderJson(shuffled, { pretty: false })).toBe(
      '{"language":"en","duration":10,"partial":true,"text":"hi","segments":[{"start":0.5,"end":1,"text":"hi","words":[{"word":"hi","start":0.5,"end":1,"confidence":0.5}]}]}',
    );
  });

  it('streams one piece per segment that joins to the same document', () => {
    for (const pretty of [true, false]) {
      const chunks = Array.from(jsonChunks(transcript, { pretty }));
      expect(chunks).toHaveLength(transcript.segments.length + 2);
      expect(chunks.join('')).toBe(renderJson(transcript, { pretty }));
    }
  });

  it('keeps newlines and quotes inside strings intact when indenting', () => {
    const tricky: Transcript = {
      language: 'en',
      duration: 1,
      text: 'a "quoted"\nline',
      segments: [{ start: 0, end: 1, text: 'a "quoted"\nline', words: [] }],
    };
    for (const pretty of [true, false]) {
      expect(JSON.parse(renderJson(tricky, { pretty }))).toEqual(tricky);
    }
    expect(renderJson(tricky)).toBe(`${JSON.stringify(tricky, null, 2)}\n`);
  });

  it('writes an empty transcript, partial flag included', () => {
    const empty: Transcript = { language: 'de', duration: 0, segments: [], text: '', partial: false };
    expect(renderJson(empty)).toBe(
      '{\n  "language": "de",\n  "duration": 0,\n  "partial": false,\n  "text": "",\n  "segments": []\n}\n',
    );
    expect(renderJson(empty, { pretty: false })).toBe(
      '{"language":"de","duration":0,"partial":false,"text":"","segments":[]}',
    );
    expect(JSON.parse(renderJson(empty))).toEqual(empty);
  });
});
