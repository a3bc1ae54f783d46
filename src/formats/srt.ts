import type { Transcript } from '../core/transcript.js';
import { type CaptionOptions, type Cue, generateCues } from './captions.js';
import { formatSrtTimecode } from './timecode.js';

/**
 * One SubRip block: index, timing line, text lines, blank line. SubRip has no escaping, so text goes
 * out as it is (players that read `<i>`-style tags would read them in transcript text too).
 */
export function formatSrtCue(cue: Cue, index: number): string {
  return `${index}\n${formatSrtTimecode(cue.start)} --> ${formatSrtTimecode(cue.end)}\n${cue.lines.join('\n')}\n\n`;
}

/** The SRT file cue by cue; an empty transcript yields nothing (an empty file is a valid SRT file). */
export function* srtChunks(transcript: Transcript, options?: CaptionOptions): Generator<string> {
  let index = 1;
  for (const cue of generateCues(transcript.segments, options)) {
    yield formatSrtCue(cue, index++);
  }
}

/** The whole SRT file (LF line endings, UTF-8 text). */
export function renderSrt(transcript: Transcript, options?: CaptionOptions): string {
  return Array.from(srtChunks(transcript, options)).join('');
}
