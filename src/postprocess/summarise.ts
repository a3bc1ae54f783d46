import type { ArtifactProgress, Summary } from '../core/artifact.js';
import { LlmError } from '../core/errors/index.js';
import type { Transcript } from '../core/transcript.js';
import type { ChatAnswer, ChatRequest } from './llm-client.js';
import { jsonObjectIn } from './llm-json.js';
import { estimateTokens, packText } from './tokens.js';

/** What summarising and polishing need: one chat call, the window budget, a progress sink. */
export interface PostprocessDeps {
  chat(request: ChatRequest): Promise<ChatAnswer>;
  /** Most tokens (estimated) one request's messages may hold, prompts included (EARSHOT_LLM_WINDOW_TOKENS). */
  windowTokens: number;
  onProgress(progress: ArtifactProgress): Promise<void>;
}

/** Slack for the chat template's role markers around the two messages. */
export const MESSAGE_OVERHEAD_TOKENS = 16;

const ANSWER_SHAPE =
  'Answer with JSON only, no other text: {"summary": "<a few sentences>", "key_points": ["<point>", ...]}. ' +
  "Write in the transcript's language. Use only what the text says.";

export const MAP_PROMPT = (part: string): string =>
  `You summarise ${part} of the transcript of a recording (machine transcribed: expect missing punctuation and misheard words). ${ANSWER_SHAPE}`;

export const REDUCE_PROMPT =
  'You combine summaries of consecutive parts of one recording, given in order, into a single summary of the whole ' +
  `recording, merging repeated key points. ${ANSWER_SHAPE}`;

/** A summary and its key points, before it is final (no model yet). */
type Partial = Omit<Summary, 'model'>;

/**
 * Map -> reduce. The transcript is cut into windows within the budget; a transcript that fits one
 * window is summarised in one call, and one without any text gets an empty summary without a call. Otherwise each window is summarised (map), then the summaries,
 * rendered in order, are grouped within the budget and combined (reduce), round after round until
 * one is left. Every summary is kept below a quarter of the budget (the answer cap, and a cut of
 * an answer that ignores it), so each reduce group holds at least two and the rounds end.
 */
export async function summarise(transcript: Transcript, deps: PostprocessDeps): Promise<Summary> {
  const answerTokens = Math.min(1024, Math.floor(deps.windowTokens / 4));
  const room = (system: string): number => deps.windowTokens - estimateTokens(system) - MESSAGE_OVERHEAD_TOKENS;
  let model = '';
  const call = async (system: string, user: string): Promise<Partial> => {
    const answer = await deps.chat({ system, user, maxTokens: answerTokens });
    model = answer.model;
    return parseSummary(answer.text, answerTokens);
  };

  const mapSystem = MAP_PROMPT('one part');
  const windows = packText(
    transcript.segments.map((s) => s.text),
    room(mapSystem),
  );
  // Nothing was said (silence, music): nothing to ask a model about.
  if (windows.length === 0) return { summary: '', keyPoints: [], model: '' };
  if (windows.length === 1) {
    await deps.onProgress({ stage: 'mapping', doneWindows: 0, totalWindows: 1 });
    const only = await call(MAP_PROMPT('the whole'), windows[0] as string);
    return { ...only, model };
  }

  let partials: Partial[] = [];
  for (const [i, window] of windows.entries()) {
    await deps.onProgress({ stage: 'mapping', doneWindows: i, totalWindows: windows.length });
    partials.push(await call(mapSystem, window));
  }

  const reduceRoom = room(REDUCE_PROMPT);
  while (partials.length > 1) {
    const groups = groupRendered(partials.map(render), reduceRoom);
    const next: Partial[] = [];
    for (const [i, group] of groups.entries()) {
      await deps.onProgress({ stage: 'reducing', doneWindows: i, totalWindows: groups.length });
      next.push(await call(REDUCE_PROMPT, group.map((text, j) => `Part ${j + 1}:\n${text}`).join('\n\n')));
    }
    partials = next;
  }
  const final = partials[0] as Partial;
  return { ...final, model };
}

/** The summary as the reduce step reads it. */
function render(p: Partial): string {
  return [p.summary, ...p.keyPoints.map((k) => `- ${k}`)].join('\n');
}

/** Consecutive summaries grouped within `maxTokens` (a part's header and separators counted). */
function groupRendered(texts: readonly string[], maxTokens: number): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let used = 0;
  for (const text of texts) {
    const cost = estimateTokens(`Part 00:\n${text}\n\n`);
    if (current.length > 0 && used + cost > maxTokens) {
      groups.push(current);
      current = [];
      used = 0;
    }
    current.push(text);
    used += cost;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/**
 * The model's summary: the JSON asked for, or else the answer as plain text with its bullet lines
 * as key points. Cut to `maxTokens` so a model that ignores the answer cap cannot stall the reduce.
 */
export function parseSummary(answer: string, maxTokens: number): Partial {
  const json = jsonObjectIn(answer);
  let summary: string;
  let keyPoints: string[];
  if (json !== null && typeof json.summary === 'string') {
    summary = json.summary.trim();
    keyPoints = Array.isArray(json.key_points)
      ? json.key_points.filter((k): k is string => typeof k === 'string' && k.trim() !== '').map((k) => k.trim())
      : [];
  } else {
    const lines = answer.split('\n').map((l) => l.trim());
    const bullet = /^([-*•]|\d+[.)])\s+/;
    keyPoints = lines.filter((l) => bullet.test(l)).map((l) => l.replace(bullet, ''));
    summary = lines.filter((l) => l !== '' && !bullet.test(l)).join(' ');
  }
  if (summary === '' && keyPoints.length === 0) {
    throw new LlmError('llm_rejected', 'the model answered with an empty summary');
  }
  return capSummary({ summary, keyPoints }, maxTokens);
}

function capSummary(p: Partial, maxTokens: number): Partial {
  if (estimateTokens(render(p)) <= maxTokens) return p;
  const keyPoints: string[] = [];
  const summary = packText([p.summary], Math.max(1, Math.floor(maxTokens / 2)))[0] ?? '';
  let used = estimateTokens(summary);
  for (const k of p.keyPoints) {
    const cost = estimateTokens(`- ${k}\n`);
    if (used + cost > maxTokens) break;
    keyPoints.push(k);
    used += cost;
  }
  return { summary, keyPoints };
}
