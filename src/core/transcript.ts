/** A recognised word with times in seconds from the start of the recording. */
export interface Word {
  word: string;
  start: number;
  end: number;
  /** Engine confidence in [0, 1]. */
  confidence: number;
}

/** A stretch of speech, usually one recognised chunk or one engine utterance. */
export interface Segment {
  start: number;
  end: number;
  text: string;
  words: Word[];
  /** Who speaks, as a person editing the transcript named them (engines never set it). */
  speaker?: string;
}

/** The one transcript type every writer, store and API response is built from. */
export interface Transcript {
  language: string;
  /** Duration of the whole recording in seconds (not only the speech). */
  duration: number;
  segments: Segment[];
  text: string;
  /** True while the task is still running and only a prefix of the recording is covered. */
  partial?: boolean;
}

export const OUTPUT_FORMATS = ['json', 'srt', 'vtt', 'txt'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Which transcript: the engine's (`machine`, the default, never overwritten) or the LLM-polished one. */
export const TRANSCRIPT_VARIANTS = ['machine', 'polished'] as const;
export type TranscriptVariant = (typeof TRANSCRIPT_VARIANTS)[number];

export function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}

/** Joins segment texts into the transcript's full text. */
export function fullText(segments: readonly Segment[]): string {
  return segments
    .map((s) => s.text)
    .filter((t) => t.length > 0)
    .join(' ');
}
