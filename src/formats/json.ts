import type { Segment, Transcript } from '../core/transcript.js';

export interface JsonOptions {
  /** Two-space indentation and a final newline (default true); false gives one compact line. */
  pretty?: boolean;
}

/**
 * A copy of the transcript holding only the documented fields, in a fixed key order (segments last,
 * so the file can be streamed). Extra properties an engine may have attached are dropped, so the file
 * format stays what the `Transcript` type says.
 */
export function canonicalTranscript(transcript: Transcript): Transcript {
  return { ...transcriptHead(transcript), segments: transcript.segments.map(canonicalSegment) };
}

/**
 * The JSON file piece by piece: the head, then one piece per segment. Joined, the pieces equal
 * `JSON.stringify(canonicalTranscript(t), null, pretty ? 2 : undefined)` (+ "\n" when pretty).
 */
export function* jsonChunks(transcript: Transcript, options: JsonOptions = {}): Generator<string> {
  const pretty = options.pretty ?? true;
  const head = JSON.stringify(transcriptHead(transcript), null, pretty ? 2 : undefined);
  // The head is a non-empty object ("language" is always there): reopen it to append "segments".
  const open = head.slice(0, head.lastIndexOf('}')).trimEnd();
  const segments = transcript.segments;
  if (segments.length === 0) {
    yield pretty ? `${open},\n  "segments": []\n}\n` : `${open},"segments":[]}`;
    return;
  }
  yield pretty ? `${open},\n  "segments": [` : `${open},"segments":[`;
  for (let i = 0; i < segments.length; i++) {
    const segment = canonicalSegment(segments[i]);
    const comma = i > 0 ? ',' : '';
    // JSON.stringify escapes newlines inside strings, so every "\n" here is layout and safe to indent.
    yield pretty
      ? `${comma}\n    ${JSON.stringify(segment, null, 2).replace(/\n/g, '\n    ')}`
      : `${comma}${JSON.stringify(segment)}`;
  }
  yield pretty ? '\n  ]\n}\n' : ']}';
}

/** The whole JSON file. */
export function renderJson(transcript: Transcript, options?: JsonOptions): string {
  return Array.from(jsonChunks(transcript, options)).join('');
}

function transcriptHead(t: Transcript): Omit<Transcript, 'segments'> {
  return t.partial === undefined
    ? { language: t.language, duration: t.duration, text: t.text }
    : { language: t.language, duration: t.duration, partial: t.partial, text: t.text };
}

function canonicalSegment(s: Segment): Segment {
  return {
    start: s.start,
    end: s.end,
    text: s.text,
    words: s.words.map((w) => ({ word: w.word, start: w.start, end: w.end, confidence: w.confidence })),
    ...(s.speaker === undefined ? {} : { speaker: s.speaker }),
  };
}
