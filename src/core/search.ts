/**
 * Full-text search over transcripts, one hit per segment. The query language is deliberately small
 * and the same on every store: words (all must match) and "quoted phrases" (words adjacent, in
 * order). Everything that is not a letter, mark or digit separates words, so no input can reach a
 * store's own query syntax (FTS5 operators, tsquery operators) and no query can fail to parse.
 */

/** Around each matched word in a snippet. Plain text (not HTML): the API returns JSON strings. */
export const SNIPPET_OPEN = '«';
export const SNIPPET_CLOSE = '»';

/** Groups kept from one query: bounds the work a single request can ask of the index. */
export const MAX_SEARCH_GROUPS = 16;
/** Words kept in one phrase. */
export const MAX_PHRASE_WORDS = 16;

/**
 * The most matching segments of one query that are ranked: the first the index returns, in storage
 * order (roughly oldest transcripts first), so a very common word costs a bounded amount of work
 * (ranking reads every candidate). Covers the deepest page the API serves (offset 10,000 + 100 hits
 * + 1 to tell whether more follow), so every page is cut from the same candidates and pages never
 * overlap. When fewer segments match, all are ranked.
 */
export const MAX_RANKED_MATCHES = 10_101;

/**
 * A parsed query: every group must match; a group of one word is a word, a longer one a phrase.
 * Words are lower-cased tokens of letters, marks and digits only.
 */
export type SearchGroups = readonly (readonly string[])[];

/** One matching segment. */
export interface SearchHit {
  taskId: string;
  sourceName: string;
  segmentIndex: number;
  /** Segment start and end, seconds from the start of the recording. */
  start: number;
  end: number;
  /** Part of the segment's text with matched words between SNIPPET_OPEN and SNIPPET_CLOSE. */
  snippet: string;
}

export interface SearchPage {
  limit: number;
  offset: number;
}

const TOKEN = /[\p{L}\p{M}\p{N}]+/gu;
const QUOTED = /"([^"]*)"/g;

function tokens(text: string): string[] {
  return (text.toLowerCase().match(TOKEN) ?? []).slice(0, MAX_PHRASE_WORDS);
}

/**
 * Parses user input into groups. A quoted part is one phrase; outside quotes each blank-separated
 * word is one group, split further only by punctuation inside it ("don't" is the phrase don t, as
 * the indexes tokenise it). A lone quote is ignored. Empty when nothing searchable is left.
 */
export function parseSearchQuery(q: string): SearchGroups {
  const groups: string[][] = [];
  const add = (words: string[]): void => {
    if (words.length > 0 && groups.length < MAX_SEARCH_GROUPS) groups.push(words);
  };
  let last = 0;
  for (const m of q.matchAll(QUOTED)) {
    for (const word of q.slice(last, m.index).split(/\s+/)) add(tokens(word));
    add(tokens(m[1] ?? ''));
    last = m.index + m[0].length;
  }
  for (const word of q.slice(last).split(/\s+/)) add(tokens(word));
  return groups;
}
