import { parseSync } from 'subtitle';
import { describe, expect, it } from 'vitest';
import { WebVTTParser } from 'webvtt-parser';
import htmlEntities from 'webvtt-parser/html-entities.json' with { type: 'json' };
import type { Transcript } from '../../src/core/transcript.js';
import { buildCues, type CaptionOptions, type Cue } from '../../src/formats/captions.js';
import { escapeVttText, formatVttCue, renderVtt, vttChunks } from '../../src/formats/vtt.js';
import { cuesOf, expectCaptionRules, parseStream } from './caption-rules.js';
import { syntheticTranscript } from './synthetic-transcript.js';

/**
 * Parses with the W3C validator's parser (spec entity table, so `&amp;` decodes as browsers do) and
 * fails on any error it reports. Returns cues with decoded text.
 */
function validate(vtt: string): Cue[] {
  const result = new WebVTTParser(htmlEntities).parse(vtt, 'subtitles');
  expect(result.errors).toEqual([]);
  return result.cues.map((c) => ({ start: c.startTime, end: c.endTime, lines: decode(c.tree).split('\n') }));
}

function decode(tree: { children: ReadonlyArray<{ type: string; value?: unknown }> }): string {
  return tree.children
    .map((n) => {
      expect(n.type).toBe('text');
      return String(n.value);
    })
    .join('');
}

function unescapeVtt(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

const empty: Transcript = { language: 'en', duration: 0, segments: [], text: '' };

describe('WebVTT writer', () => {
  const transcript = syntheticTranscript({ words: 700, seed: 11 });

  it('writes a valid file that parsers read back to the same cues', () => {
    const vtt = renderVtt(transcript);
    expect(vtt.startsWith('WEBVTT\n\n')).toBe(true);
    const cues = buildCues(transcript.segments);

    const strict = validate(vtt);
    expect(strict).toEqual(cues);
    expectCaptionRules(strict, transcript);

    const nodes = parseSync(vtt);
    expect(nodes[0]).toEqual({ type: 'header', data: 'WEBVTT' });
    const parsed = cuesOf(nodes).map((c) => ({ ...c, lines: c.lines.map(unescapeVtt) }));
    expect(parsed).toEqual(cues);
  });

  it('escapes markup characters, including a word that looks like an arrow', () => {
    const text = 'Q&A: x<y and a>b -->';
    const transcript: Transcript = {
      language: 'en',
      duration: 3,
      text,
      segments: [{ start: 0.5, end: 2.5, text, words: [] }],
    };
    const vtt = renderVtt(transcript);
    expect(vtt).toContain('Q&amp;A: x&lt;y and a&gt;b --&gt;');
    expect(vtt.split('\n').filter((l) => l.includes('-->'))).toHaveLength(1);
    expect(validate(vtt).map((c) => c.lines.join(' '))).toEqual([text]);
    expect(escapeVttText('<b>&amp;</b>')).toBe('&lt;b&gt;&amp;amp;&lt;/b&gt;');
  });

  it.each<CaptionOptions>([{ maxCharsPerLine: 20, maxLinesPerCue: 3 }, { maxGapSeconds: 0.2 }])(
    'applies caption options %o',
    (options) => {
      const parsed = validate(renderVtt(transcript, options));
      expect(parsed).toEqual(buildCues(transcript.segments, options));
      expect(parsed).not.toEqual(buildCues(transcript.segments));
      expectCaptionRules(parsed, transcript, options);
    },
  );

  it('parses the same through the streaming parser, fed chunk by chunk', async () => {
    const parsed = cuesOf(await parseStream(vttChunks(transcript))).map((c) => ({
      ...c,
      lines: c.lines.map(unescapeVtt),
    }));
    expect(parsed).toEqual(buildCues(transcript.segments));
  });

  it('formats one cue exactly', () => {
    expect(formatVttCue({ start: 0.25, end: 4000, lines: ['one', '<two>'] })).toBe(
      '00:00:00.250 --> 01:06:40.000\none\n&lt;two&gt;\n',
    );
  });

  it('writes just the header for an empty transcript', () => {
    const vtt = renderVtt(empty);
    expect(vtt).toBe('WEBVTT\n');
    expect(validate(vtt)).toEqual([]);
    expect(parseSync(vtt)).toEqual([{ type: 'header', data: 'WEBVTT' }]);
  });
});
