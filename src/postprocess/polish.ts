import { fullText, type Segment, type Transcript, type Word } from '../core/transcript.js';
import { jsonObjectIn } from './llm-json.js';
import { MESSAGE_OVERHEAD_TOKENS, type PostprocessDeps } from './summarise.js';
import { estimateTokens } from './tokens.js';

export const POLISH_PROMPT =
  'You clean up machine transcripts. You get a JSON array of segments {"id": n, "text": "..."}. For each segment, ' +
  'restore casing and punctuation, remove filler words (um, uh, er) and false starts, and fix obvious ' +
  'mis-hearings only when the context makes them certain. Keep the meaning, the language and every segment ' +
  'separate: never move words between segments, merge, split, drop or add segments. Answer with JSON only, no ' +
  'other text: {"segments": [{"id": n, "text": "..."}, ...]} with every id given.';

/** The polished transcript, and how many segments kept their machine text because the answer for them was unusable. */
export interface PolishOutcome {
  transcript: Transcript;
  fallbacks: number;
}

/**
 * Window by window on segment boundaries, within the budget; each segment keeps its start and end.
 * The model returns text per segment id. An answer for a segment that is missing, not a string,
 * empty, or implausibly shorter or longer than the original keeps the original text (counted in
 * `fallbacks`); so does a segment too long to fit a window on its own. Changed segments get their
 * words re-timed evenly across the segment's span (an LLM gives no timings); unchanged ones keep
 * the engine's words. The answer cap leaves room for the JSON around the text.
 */
export async function polish(transcript: Transcript, deps: PostprocessDeps): Promise<PolishOutcome> {
  const room = deps.windowTokens - estimateTokens(POLISH_PROMPT) - MESSAGE_OVERHEAD_TOKENS;
  const windows = windowsOf(transcript.segments, room);
  const replaced = new Map<number, string>();

  for (const [i, window] of windows.entries()) {
    await deps.onProgress({ stage: 'polishing', doneWindows: i, totalWindows: windows.length });
    const answer = await deps.chat({
      system: POLISH_PROMPT,
      user: window.user,
      maxTokens: Math.ceil(estimateTokens(window.user) * 1.25) + 64,
    });
    const texts = segmentTexts(answer.text);
    for (const id of window.ids) {
      const original = (transcript.segments[id] as Segment).text;
      const candidate = texts.get(id);
      if (candidate !== undefined && plausible(candidate, original)) replaced.set(id, candidate);
    }
  }

  const segments = transcript.segments.map((s, id) => {
    const text = replaced.get(id);
    return text === undefined || text === s.text ? s : retimed(s, text);
  });
  const fallbacks = transcript.segments.filter((s, id) => s.text.trim() !== '' && !replaced.has(id)).length;
  return { transcript: { ...transcript, segments, text: fullText(segments) }, fallbacks };
}

interface Window {
  ids: number[];
  user: string;
}

const line = (id: number, text: string): string => JSON.stringify({ id, text });

/** Consecutive non-empty segments packed within `maxTokens` as one JSON array each. */
function windowsOf(segments: readonly Segment[], maxTokens: number): Window[] {
  const windows: Window[] = [];
  let ids: number[] = [];
  let lines: string[] = [];
  let used = 2; // the brackets
  const flush = (): void => {
    if (ids.length > 0) windows.push({ ids, user: `[\n${lines.join(',\n')}\n]` });
    ids = [];
    lines = [];
    used = 2;
  };
  segments.forEach((s, id) => {
    if (s.text.trim() === '') return;
    const l = line(id, s.text);
    const cost = estimateTokens(`${l},\n`);
    if (cost + 2 > maxTokens) return; // alone it would not fit: it keeps its text
    if (used + cost > maxTokens) flush();
    ids.push(id);
    lines.push(l);
    used += cost;
  });
  flush();
  return windows;
}

/** `id -> text` from the model's answer; empty when it is not the JSON asked for. */
function segmentTexts(answer: string): Map<number, string> {
  const texts = new Map<number, string>();
  const json = jsonObjectIn(answer);
  const list = json?.segments;
  if (!Array.isArray(list)) return texts;
  for (const item of list) {
    if (typeof item !== 'object' || item === null) continue;
    const { id, text } = item as { id?: unknown; text?: unknown };
    if (typeof id === 'number' && typeof text === 'string' && !texts.has(id)) texts.set(id, text.trim());
  }
  return texts;
}

/**
 * Clean-up removes fillers and adds punctuation, so the length moves a little; an answer that lost
 * half the text or doubled it is a summary, a hallucination or another segment's text.
 */
function plausible(candidate: string, original: string): boolean {
  if (candidate === '' || candidate.includes('\n')) return false;
  const a = candidate.length;
  const b = original.trim().length;
  return a >= b * 0.5 && a <= b * 2 + 20;
}

/** The segment with `text`, its words spread evenly over its span; confidence kept as the old words' mean. */
function retimed(segment: Segment, text: string): Segment {
  const tokens = text.split(/\s+/).filter((w) => w !== '');
  const span = Math.max(0, segment.end - segment.start);
  const confidence =
    segment.words.length === 0 ? 1 : segment.words.reduce((sum, w) => sum + w.confidence, 0) / segment.words.length;
  const round = (t: number): number => Math.round(t * 1000) / 1000;
  const words: Word[] = tokens.map((word, i) => ({
    word,
    start: round(segment.start + (span * i) / tokens.length),
    end: i === tokens.length - 1 ? segment.end : round(segment.start + (span * (i + 1)) / tokens.length),
    confidence,
  }));
  return { ...segment, text, words };
}
