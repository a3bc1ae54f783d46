import type { OutputFormat, Transcript } from '../core/transcript.js';
import type { CaptionOptions } from './captions.js';
import { type JsonOptions, jsonChunks } from './json.js';
import { srtChunks } from './srt.js';
import { type TxtOptions, txtChunks } from './txt.js';
import { vttChunks } from './vtt.js';

export { buildCues, type CaptionOptions, type Cue, DEFAULT_CAPTION_OPTIONS, generateCues } from './captions.js';
export type { JsonOptions } from './json.js';
export { formatSrtTimecode, formatVttTimecode } from './timecode.js';
export type { TxtOptions } from './txt.js';

/** Options for any format; each writer reads only its own (captions for srt/vtt, and so on). */
export type RenderOptions = CaptionOptions & TxtOptions & JsonOptions;

/**
 * The output file piece by piece (one cue, segment or paragraph at a time), for streaming a large
 * transcript without building the whole string: `Readable.from(transcriptChunks(t, 'srt'))`.
 */
export function transcriptChunks(
  transcript: Transcript,
  format: OutputFormat,
  options?: RenderOptions,
): Generator<string> {
  switch (format) {
    case 'json':
      return jsonChunks(transcript, options);
    case 'srt':
      return srtChunks(transcript, options);
    case 'vtt':
      return vttChunks(transcript, options);
    case 'txt':
      return txtChunks(transcript, options);
  }
}

/**
 * The whole output file as one string. An hour of speech gives roughly 100 kB of SRT/VTT/TXT and
 * about 1 MB of pretty JSON (one object per word), which is fine in memory; use `transcriptChunks`
 * to stream instead.
 */
export function renderTranscript(transcript: Transcript, format: OutputFormat, options?: RenderOptions): string {
  return Array.from(transcriptChunks(transcript, format, options)).join('');
}

/** The HTTP Content-Type for a format; every format is UTF-8 text. */
export function contentTypeFor(format: OutputFormat): string {
  switch (format) {
    case 'json':
      return 'application/json; charset=utf-8';
    // SubRip has no registered media type; application/x-subrip is the one in common use.
    case 'srt':
      return 'application/x-subrip; charset=utf-8';
    case 'vtt':
      return 'text/vtt; charset=utf-8';
    case 'txt':
      return 'text/plain; charset=utf-8';
  }
}

/** The file name extension for a format, without the dot ("srt"). */
export function fileExtensionFor(format: OutputFormat): string {
  return format;
}
