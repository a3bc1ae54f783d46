import { fullText, type Segment, type Transcript, type Word } from '../../src/core/transcript.js';
import { mulberry32 } from '../helpers/prng.js';

const VOCABULARY = [
  'the',
  'a',
  'of',
  'and',
  'to',
  'in',
  'is',
  'it',
  'that',
  'we',
  'you',
  'recording',
  'meeting',
  'budget',
  'quarter',
  'transcription',
  'engine',
  'really',
  'think',
  'about',
  'people',
  'because',
  'something',
  'important',
  "don't",
  "it's",
  'okay,',
  'yes.',
  'right?',
  'well,',
  'Q&A',
  'R&D',
  'x<y',
  'a>b',
  '-->',
  'tomorrow',
  'afternoon',
  'international',
  'responsibility',
  'communication',
  'I',
  'O',
  'uh',
  '1999',
  'café',
  'naïve',
  'Zürich',
  'documentation',
  'straightforward',
];

/** Longer than a 42-character line: must get a line of its own and never be split. */
export const LONG_WORDS = [
  'pneumonoultramicroscopicsilicovolcanoconiosis-extended',
  'https://example.org/a/very/long/path/that/keeps/going/and/going',
];

export interface SyntheticOptions {
  words?: number;
  seed?: number;
}

/**
 * A transcript with realistic word timings: words of 0.1-0.8 s, short gaps, a long pause now and
 * then, segments of 3-40 words, a few segments with no word timings (text only), occasional
 * zero-length words and one drawn-out word longer than 7 s.
 */
export function syntheticTranscript(options: SyntheticOptions = {}): Transcript {
  const total = options.words ?? 600;
  const random = mulberry32(options.seed ?? 42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const ms = (s: number): number => Math.round(s * 1000) / 1000;

  const segments: Segment[] = [];
  let t = 0.35;
  let made = 0;
  let segmentIndex = 0;
  while (made < total) {
    const count = Math.min(total - made, 3 + Math.floor(random() * 38));
    const words: Word[] = [];
    for (let i = 0; i < count; i++) {
      const r = random();
      const text = r < 0.015 ? pick(LONG_WORDS) : pick(VOCABULARY);
      let duration = 0.1 + random() * 0.7;
      if (made + i === 137) duration = 8.2;
      if (random() < 0.02) duration = 0;
      const start = ms(t);
      const end = ms(t + duration);
      words.push({ word: text, start, end, confidence: ms(0.5 + random() / 2) });
      const g = random();
      t = end + (g < 0.04 ? 1.6 + random() * 2 : g < 0.2 ? 0.2 + random() * 0.6 : random() * 0.12);
    }
    made += count;
    const start = words[0]?.start ?? t;
    const end = words[words.length - 1]?.end ?? t;
    const text = words.map((w) => w.word).join(' ');
    const textOnly = segmentIndex % 9 === 4;
    segments.push({ start, end, text, words: textOnly ? [] : words });
    segmentIndex++;
    t += 0.5 + random() * 1.5;
  }
  return { language: 'en', duration: Math.ceil(t + 2), segments, text: fullText(segments) };
}

/** Every word of the transcript as caption tokens, in order (text-only segments contribute their text). */
export function expectedTokens(transcript: Transcript): string[] {
  return transcript.segments.flatMap((s) =>
    (s.words.length > 0 ? s.words.map((w) => w.word) : [s.text])
      .join(' ')
      .split(/\s+/)
      .filter((w) => w !== ''),
  );
}
