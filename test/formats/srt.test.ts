import { parseSync } from 'subtitle';
import { describe, expect, it } from 'vitest';
import type { Transcript } from '../../src/core/transcript.js';
import { buildCues, type CaptionOptions } from '../../src/formats/captions.js';
import { formatSrtCue, renderSrt, srtChunks } from '../../src/formats/srt.js';
import { cuesOf, expectCaptionRules, parseStream } from './caption-rules.js';
import { syntheticTranscript } from './synthetic-transcript.js';

const empty: Transcript = { language: 'en', duration: 0, segments: [], text: '' };

describe('SRT writer', () => {
  const transcript = syntheticTranscript({ words: 700, seed: 3 });

  it('writes numbered blocks a third-party parser reads back to the same cues', () => {
    const srt = renderSrt(transcript);
    const cues = buildCues(transcript.segments);
    const parsed = cuesOf(parseSync(srt));
    expect(parsed).toEqual(cues);
    expectCaptionRules(parsed, transcript);
    // Indexes run 1..n.
    const indexes = srt
      .split('\n\n')
      .filter((b) => b !== '')
      .map((b) => Number(b.split('\n')[0]));
    expect(indexes).toEqual(cues.map((_, i) => i + 1));
  });

  it.each<CaptionOptions>([
    { maxCharsPerLine: 32, maxLinesPerCue: 1 },
    { maxCueSeconds: 3, minCueSeconds: 1 },
  ])('applies caption options %o', (options) => {
    const parsed = cuesOf(parseSync(renderSrt(transcript, options)));
    expect(parsed).toEqual(buildCues(transcript.segments, options));
    expect(parsed).not.toEqual(buildCues(transcript.segments));
    expectCaptionRules(parsed, transcript, options);
  });

  it('parses the same through the streaming parser, fed chunk by chunk', async () => {
    expect(cuesOf(await parseStream(srtChunks(transcript)))).toEqual(buildCues(transcript.segments));
  });

  it('formats one cue exactly', () => {
    const cue = { start: 3661.5, end: 3664.25, lines: ['Q&A <i>is</i>', 'over here'] };
    // SubRip has no escaping: text goes out as it is.
    expect(formatSrtCue(cue, 7)).toBe('7\n01:01:01,500 --> 01:01:04,250\nQ&A <i>is</i>\nover here\n\n');
  });

  it('writes an empty, valid file for an empty transcript', () => {
    expect(renderSrt(empty)).toBe('');
    expect(parseSync(renderSrt(empty))).toEqual([]);
  });
});
