import { deflateSync } from 'node:zlib';
import type { Segment, Transcript } from '../../../../core/transcript.js';
import { transcriptChunks } from '../../../../formats/index.js';

/** OpenAI's `response_format` values this door answers (`diarized_json` needs a diarising model). */
export const RESPONSE_FORMATS = ['json', 'text', 'srt', 'verbose_json', 'vtt'] as const;
export type ResponseFormat = (typeof RESPONSE_FORMATS)[number];

export const TIMESTAMP_GRANULARITIES = ['word', 'segment'] as const;
export type TimestampGranularity = (typeof TIMESTAMP_GRANULARITIES)[number];

/** OpenAI's usage for models billed by audio duration (whisper-1): whole seconds, rounded up. */
export interface DurationUsage {
  type: 'duration';
  seconds: number;
}

export function usageOf(transcript: Transcript): DurationUsage {
  return { type: 'duration', seconds: Math.ceil(transcript.duration) };
}

/** `json`: the text and the usage, as whisper-1 answers. */
export function jsonResponse(transcript: Transcript): { text: string; usage: DurationUsage } {
  return { text: transcript.text, usage: usageOf(transcript) };
}

/** A segment of `verbose_json`, as Whisper reports it. */
export interface VerboseSegment {
  id: number;
  seek: number;
  start: number;
  end: number;
  text: string;
  tokens: number[];
  temperature: number;
  avg_logprob: number;
  compression_ratio: number;
  no_speech_prob: number;
}

export interface VerboseResponse {
  task: 'transcribe';
  language: string;
  duration: number;
  text: string;
  segments?: VerboseSegment[];
  words?: Array<{ word: string; start: number; end: number }>;
  usage: DurationUsage;
}

const languageNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'code' });

/**
 * The language as Whisper's verbose_json names it: the lower-case English name ("english") of the
 * code's primary subtag; a code Intl does not know stays as it is.
 */
export function languageName(code: string): string {
  const primary = code.split(/[-_]/)[0] ?? code;
  try {
    const name = languageNames.of(primary);
    return name === undefined || name === primary ? code : name.toLowerCase();
  } catch {
    return code;
  }
}

/**
 * Whisper's compression ratio: UTF-8 bytes of the text over its zlib-compressed size (above 2.4
 * Whisper suspects a repetition loop). Computed, not made up; segments are short, so this is cheap.
 */
export function compressionRatio(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length / deflateSync(bytes).length;
}

/**
 * Mean natural log of the segment's word confidences: the nearest thing Earshot's engines have to
 * Whisper's mean token log-probability (0 for a segment without words).
 */
export function averageLogprob(segment: Segment): number {
  if (segment.words.length === 0) return 0;
  const sum = segment.words.reduce((acc, w) => acc + Math.log(Math.max(w.confidence, 1e-6)), 0);
  return sum / segment.words.length;
}

/** Seconds as Whisper's 10 ms frames (its `seek` unit). */
const FRAMES_PER_SECOND = 100;

/**
 * `verbose_json`. Segments unless only `word` timestamps were asked for, words only when they were
 * (OpenAI's reference shows exactly this). Token ids, temperature and no-speech probability have
 * no Earshot equivalent: `[]`, 0 and 0.
 */
export function verboseResponse(
  transcript: Transcript,
  granularities: ReadonlySet<TimestampGranularity>,
): VerboseResponse {
  const wantWords = granularities.has('word');
  const wantSegments = granularities.has('segment') || !wantWords;
  return {
    task: 'transcribe',
    language: languageName(transcript.language),
    duration: transcript.duration,
    text: transcript.text,
    ...(wantSegments
      ? {
          segments: transcript.segments.map((s, id) => ({
            id,
            seek: Math.round(s.start * FRAMES_PER_SECOND),
            start: s.start,
            end: s.end,
            // Whisper's segment texts start with the space its tokenizer puts before a word.
            text: ` ${s.text}`,
            tokens: [],
            temperature: 0,
            avg_logprob: averageLogprob(s),
            compression_ratio: compressionRatio(s.text),
            no_speech_prob: 0,
          })),
        }
      : {}),
    ...(wantWords
      ? {
          words: transcript.segments.flatMap((s) => s.words.map((w) => ({ word: w.word, start: w.start, end: w.end }))),
        }
      : {}),
    usage: usageOf(transcript),
  };
}

/** The plain-text formats, piece by piece: `text` is the text and a newline, as OpenAI sends it. */
export function* plainChunks(transcript: Transcript, format: 'text' | 'srt' | 'vtt'): Generator<string> {
  if (format === 'text') {
    yield `${transcript.text}\n`;
    return;
  }
  yield* transcriptChunks(transcript, format);
}

/** OpenAI sends every plain format (text, srt, vtt) as text/plain. */
export const PLAIN_CONTENT_TYPE = 'text/plain; charset=utf-8';
