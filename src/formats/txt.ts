import type { Segment, Transcript } from '../core/transcript.js';
import { formatVttTimecode } from './timecode.js';

export interface TxtOptions {
  /**
   * One line per segment, prefixed with its time range as `[HH:MM:SS.mmm --> HH:MM:SS.mmm] ` (default
   * false: one paragraph per segment, paragraphs separated by a blank line).
   */
  timestamps?: boolean;
}

/** The plain-text file segment by segment; segments with no text are skipped, so an empty transcript is "". */
export function* txtChunks(transcript: Transcript, options: TxtOptions = {}): Generator<string> {
  let first = true;
  for (const segment of transcript.segments) {
    const text = segmentText(segment);
    if (text === '') continue;
    if (options.timestamps) {
      yield `[${formatVttTimecode(segment.start)} --> ${formatVttTimecode(segment.end)}] ${text}\n`;
    } else {
      yield first ? `${text}\n` : `\n${text}\n`;
    }
    first = false;
  }
}

/** The whole plain-text file. */
export function renderTxt(transcript: Transcript, options?: TxtOptions): string {
  return Array.from(txtChunks(transcript, options)).join('');
}

/** The segment's text on one line; built from its words when an engine left the text empty. */
function segmentText(segment: Segment): string {
  const text = segment.text.trim() === '' ? segment.words.map((w) => w.word).join(' ') : segment.text;
  return text.replace(/\s+/g, ' ').trim();
}
