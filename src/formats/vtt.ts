import type { Transcript } from '../core/transcript.js';
import { type CaptionOptions, type Cue, generateCues } from './captions.js';
import { formatVttTimecode } from './timecode.js';

/** The signature line; the file's (empty) header block ends at the blank line before the first cue. */
export const VTT_HEADER = 'WEBVTT\n';

/**
 * Escapes cue text for WebVTT: `&` and `<` would start an entity or a tag, and `>` is escaped too so
 * that a word like `-->` can never be read as a timing line.
 */
export function escapeVttText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One WebVTT cue block (no identifier): timing line and escaped text lines, without the blank line that separates blocks. */
export function formatVttCue(cue: Cue): string {
  const text = cue.lines.map(escapeVttText).join('\n');
  return `${formatVttTimecode(cue.start)} --> ${formatVttTimecode(cue.end)}\n${text}\n`;
}

/**
 * The WebVTT file: the header, then cue by cue, each after a blank line. An empty transcript gives
 * just "WEBVTT\n" (with a trailing blank line `subtitle`'s parser would reject the empty file).
 */
export function* vttChunks(transcript: Transcript, options?: CaptionOptions): Generator<string> {
  yield VTT_HEADER;
  for (const cue of generateCues(transcript.segments, options)) {
    yield `\n${formatVttCue(cue)}`;
  }
}

/** The whole WebVTT file (LF line endings, UTF-8 text). */
export function renderVtt(transcript: Transcript, options?: CaptionOptions): string {
  return Array.from(vttChunks(transcript, options)).join('');
}
