import { SNIPPET_CLOSE, SNIPPET_OPEN } from '../../../core/search.js';

export interface SnippetPart {
  text: string;
  matched: boolean;
}

/**
 * Splits a search snippet into plain and matched parts at its « » marks, so the view renders matches
 * as <mark> elements around text nodes (never markup built from the transcript's text). A mark left
 * open runs to the end; a stray close mark is kept as text.
 */
export function snippetParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  const push = (text: string, matched: boolean) => {
    if (text) parts.push({ text, matched });
  };
  let rest = snippet;
  for (;;) {
    const open = rest.indexOf(SNIPPET_OPEN);
    if (open < 0) break;
    const close = rest.indexOf(SNIPPET_CLOSE, open + SNIPPET_OPEN.length);
    push(rest.slice(0, open), false);
    if (close < 0) {
      push(rest.slice(open + SNIPPET_OPEN.length), true);
      return parts;
    }
    push(rest.slice(open + SNIPPET_OPEN.length, close), true);
    rest = rest.slice(close + SNIPPET_CLOSE.length);
  }
  push(rest, false);
  return parts;
}

/**
 * The words to highlight on the transcript page for a query: the query without its quotes and
 * extra blanks (`"ill disposed" man` → `ill disposed man`).
 */
export function highlightText(q: string): string {
  return q.replace(/"/g, ' ').replace(/\s+/g, ' ').trim();
}
