import type { Segment, Word } from '../../core/transcript.js';
import type { PsWord } from './ps-process.js';

/** PocketSphinx frames per second (its default -frate); dividing keeps times like 0.37 exact. */
const FRAMES_PER_SECOND = 100;

/**
 * Fillers are the decoder's bookkeeping, not speech: sentence marks (<s>, </s>), silence (<sil>),
 * noise classes ([NOISE], [SPEECH]) and the ++GARBAGE++ style of older models.
 */
function isFiller(word: string): boolean {
  return (
    (word.startsWith('<') && word.endsWith('>')) ||
    (word.startsWith('[') && word.endsWith(']')) ||
    (word.startsWith('++') && word.endsWith('++'))
  );
}

/** The spoken word of a decoder token, or null for a filler. */
function spokenWord(raw: string): string | null {
  if (isFiller(raw)) return null;
  // "read(2)" is the dictionary's second pronunciation of "read"; the word is the same.
  const word = raw.replace(/\(\d+\)$/, '');
  return word.length === 0 ? null : word;
}

/** The server's frame-indexed tokens as words timed in seconds from the audio's start, fillers dropped. */
export function toWords(tokens: readonly PsWord[], audioSeconds: number): Word[] {
  const clampTime = (t: number): number => Math.min(Math.max(t, 0), audioSeconds);
  const words: Word[] = [];
  for (const [raw, startFrame, endFrame, posterior] of tokens) {
    const word = spokenWord(raw);
    if (word === null) continue;
    words.push({
      word,
      start: clampTime(startFrame / FRAMES_PER_SECOND),
      // endFrame is the last frame of the word, inclusive.
      end: clampTime((endFrame + 1) / FRAMES_PER_SECOND),
      // The posterior is exp() of a log value and comes back as 1.0001 through rounding.
      confidence: Number.isFinite(posterior) ? Math.min(Math.max(posterior, 0), 1) : 0,
    });
  }
  return words;
}

/** Turns the server's frame-indexed tokens into one segment of words timed in chunk seconds. */
export function toSegments(tokens: readonly PsWord[], chunkSeconds: number): Segment[] {
  const words = toWords(tokens, chunkSeconds);
  const first = words[0];
  const last = words[words.length - 1];
  if (first === undefined || last === undefined) return [];
  return [{ start: first.start, end: last.end, text: words.map((w) => w.word).join(' '), words }];
}

/** A partial hypothesis ("the cat(2) <sil> sat") cleaned like final words ("the cat sat"). */
export function hypothesisText(hyp: string): string {
  return hyp
    .split(/\s+/)
    .map(spokenWord)
    .filter((w): w is string => w !== null)
    .join(' ');
}
