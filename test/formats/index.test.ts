import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { parseSync } from 'subtitle';
import { describe, expect, it } from 'vitest';
import { OUTPUT_FORMATS, type Transcript } from '../../src/core/transcript.js';
import {
  buildCues,
  contentTypeFor,
  fileExtensionFor,
  renderTranscript,
  transcriptChunks,
} from '../../src/formats/index.js';
import { renderJson } from '../../src/formats/json.js';
import { renderSrt } from '../../src/formats/srt.js';
import { renderTxt } from '../../src/formats/txt.js';
import { renderVtt } from '../../src/formats/vtt.js';
import { cuesOf } from './caption-rules.js';
import { syntheticTranscript } from './synthetic-transcript.js';

describe('renderTranscript', () => {
  const transcript = syntheticTranscript({ words: 500, seed: 21 });

  it('dispatches to each writer', () => {
    expect(renderTranscript(transcript, 'json')).toBe(renderJson(transcript));
    expect(renderTranscript(transcript, 'srt')).toBe(renderSrt(transcript));
    expect(renderTranscript(transcript, 'vtt')).toBe(renderVtt(transcript));
    expect(renderTranscript(transcript, 'txt')).toBe(renderTxt(transcript));
  });

  it('passes each writer its options', () => {
    const options = { maxCharsPerLine: 30, maxLinesPerCue: 1, timestamps: true, pretty: false };
    expect(renderTranscript(transcript, 'srt', options)).toBe(renderSrt(transcript, options));
    expect(renderTranscript(transcript, 'vtt', options)).toBe(renderVtt(transcript, options));
    expect(renderTranscript(transcript, 'txt', options)).toBe(renderTxt(transcript, { timestamps: true }));
    expect(renderTranscript(transcript, 'json', options)).toBe(renderJson(transcript, { pretty: false }));
    expect(cuesOf(parseSync(renderTranscript(transcript, 'srt', options)))).toEqual(
      buildCues(transcript.segments, options),
    );
  });

  it.each(OUTPUT_FORMATS)('streams %s through a Readable to the same bytes', async (format) => {
    const streamed = await text(Readable.from(transcriptChunks(transcript, format)));
    expect(streamed).toBe(renderTranscript(transcript, format));
    expect(Array.from(transcriptChunks(transcript, format)).length).toBeGreaterThan(10);
  });

  it('renders an empty transcript as a valid, empty document of each format', () => {
    const empty: Transcript = { language: 'en', duration: 0, segments: [], text: '' };
    expect(renderTranscript(empty, 'txt').trim()).toBe('');
    expect(renderTranscript(empty, 'srt').trim()).toBe('');
    expect(renderTranscript(empty, 'vtt').trim()).toBe('WEBVTT');
    expect(JSON.parse(renderTranscript(empty, 'json'))).toMatchObject({ segments: [], text: '' });
  });
});

describe('content types and extensions', () => {
  it('names a UTF-8 media type and an extension for every format', () => {
    expect(OUTPUT_FORMATS.map((f) => [contentTypeFor(f), fileExtensionFor(f)])).toEqual([
      ['application/json; charset=utf-8', 'json'],
      ['application/x-subrip; charset=utf-8', 'srt'],
      ['text/vtt; charset=utf-8', 'vtt'],
      ['text/plain; charset=utf-8', 'txt'],
    ]);
  });
});
