/**
 * Token estimates for LLM windows. Each model has its own tokenizer (Llama, Qwen, Mistral, GPT
 * differ), and the server's is unknown to us, so no tokenizer library would be exact. The estimate
 * is deliberately on the high side instead: English BPE tokenizers average about 4 characters per
 * token, so ASCII counts 1/4 token a character; every other character (accents, CJK, emoji) counts
 * a whole token, which over-counts Latin accents and is about right for CJK. A window within the
 * budget by this count is within it for the real tokenizer too, give or take a small margin.
 */
export const ASCII_CHARS_PER_TOKEN = 4;

export function estimateTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const ch of text) {
    if (ch.charCodeAt(0) < 128) ascii++;
    else other++;
  }
  return Math.ceil(ascii / ASCII_CHARS_PER_TOKEN) + other;
}

/**
 * Packs `pieces` in order into groups whose joined text (with `separator`) stays within
 * `maxTokens`. A piece too large on its own is cut at spaces (and a single huge word at
 * characters), so every group fits. Empty pieces are dropped.
 */
export function packText(pieces: readonly string[], maxTokens: number, separator = ' '): string[] {
  if (maxTokens < 1) throw new RangeError('maxTokens must be at least 1');
  const groups: string[] = [];
  let current = '';
  const push = (piece: string): void => {
    const joined = current === '' ? piece : `${current}${separator}${piece}`;
    if (estimateTokens(joined) <= maxTokens) {
      current = joined;
      return;
    }
    if (current !== '') groups.push(current);
    current = piece;
  };
  for (const piece of pieces) {
    if (piece.trim() === '') continue;
    for (const part of estimateTokens(piece) <= maxTokens ? [piece] : splitPiece(piece, maxTokens)) push(part);
  }
  if (current !== '') groups.push(current);
  return groups;
}

/** Cuts an oversized piece into parts within `maxTokens`: at spaces, and inside a word only when it must. */
function splitPiece(piece: string, maxTokens: number): string[] {
  const words = piece.split(/\s+/).filter((w) => w !== '');
  const parts: string[] = [];
  let current = '';
  for (const word of words) {
    for (const bit of estimateTokens(word) <= maxTokens ? [word] : cutWord(word, maxTokens)) {
      const joined = current === '' ? bit : `${current} ${bit}`;
      if (estimateTokens(joined) <= maxTokens) current = joined;
      else {
        if (current !== '') parts.push(current);
        current = bit;
      }
    }
  }
  if (current !== '') parts.push(current);
  return parts;
}

function cutWord(word: string, maxTokens: number): string[] {
  const bits: string[] = [];
  let current = '';
  for (const ch of word) {
    if (estimateTokens(current + ch) > maxTokens) {
      bits.push(current);
      current = '';
    }
    current += ch;
  }
  if (current !== '') bits.push(current);
  return bits;
}
