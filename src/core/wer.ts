/**
 * Word error rate, the accuracy measure Earshot's recognition tests and benchmarks report.
 *
 * WER = (substitutions + deletions + insertions) / reference words, from a word-level Levenshtein
 * alignment. Both texts are normalised first so that casing and punctuation never count as errors.
 */

/** Outcome of comparing one hypothesis with its reference (or the sum of several, see `combineWer`). */
export interface WerResult {
  /** (substitutions + deletions + insertions) / refWords; with an empty reference, the insertion count. */
  wer: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  refWords: number;
}

/**
 * Lowercases, removes punctuation and collapses whitespace. Apostrophes inside a word are kept
 * ("don't" stays one word); hyphens and other punctuation separate words ("cold-hearted" is two).
 * Numbers are left as written: "3" and "three" are different words, as they are to a reader of the
 * transcript, so a test reference should spell numbers the way the engine does.
 */
export function normalizeWords(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[^\p{L}\p{N}']+/gu, ' ')
    .split(' ')
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter((w) => w.length > 0);
}

/**
 * Word error rate of `hypothesis` against `reference`. Strings are normalised with `normalizeWords`;
 * arrays are taken as already-normalised words. Memory is O(min(ref, hyp)) words: one DP row over the
 * shorter sequence, so hour-long transcripts can be scored.
 */
export function wordErrorRate(
  reference: string | readonly string[],
  hypothesis: string | readonly string[],
): WerResult {
  const ref = typeof reference === 'string' ? normalizeWords(reference) : reference;
  const hyp = typeof hypothesis === 'string' ? normalizeWords(hypothesis) : hypothesis;
  // The DP runs over rows of the longer sequence and keeps one row of the shorter one. A word left
  // unmatched in the reference is a deletion, one in the hypothesis an insertion; when the roles of
  // rows and columns swap, so do those two counts.
  const refIsRows = ref.length >= hyp.length;
  const rows = refIsRows ? ref : hyp;
  const cols = refIsRows ? hyp : ref;
  const counts = alignCounts(rows, cols);
  const deletions = refIsRows ? counts.rowsOnly : counts.colsOnly;
  const insertions = refIsRows ? counts.colsOnly : counts.rowsOnly;
  const errors = counts.substitutions + deletions + insertions;
  return {
    wer: errors / Math.max(ref.length, 1),
    substitutions: counts.substitutions,
    deletions,
    insertions,
    refWords: ref.length,
  };
}

/** Corpus-level WER: errors and reference words are summed before dividing (not an average of rates). */
export function combineWer(results: readonly WerResult[]): WerResult {
  const sum = { substitutions: 0, deletions: 0, insertions: 0, refWords: 0 };
  for (const r of results) {
    sum.substitutions += r.substitutions;
    sum.deletions += r.deletions;
    sum.insertions += r.insertions;
    sum.refWords += r.refWords;
  }
  const errors = sum.substitutions + sum.deletions + sum.insertions;
  return { wer: errors / Math.max(sum.refWords, 1), ...sum };
}

interface AlignCounts {
  substitutions: number;
  /** Words of the row sequence with no partner. */
  rowsOnly: number;
  /** Words of the column sequence with no partner. */
  colsOnly: number;
}

/**
 * Levenshtein alignment keeping, per cell, the operation counts of one cheapest path. Ties prefer
 * the diagonal (match or substitution), then a row-only word, then a column-only word, so results
 * are deterministic.
 */
function alignCounts(rows: readonly string[], cols: readonly string[]): AlignCounts {
  const n = cols.length;
  // Per column j: cost and its split into substitutions / rowsOnly / colsOnly, for the previous row.
  let cost = new Int32Array(n + 1);
  let subs = new Int32Array(n + 1);
  let rOnly = new Int32Array(n + 1);
  let cOnly = new Int32Array(n + 1);
  let nextCost = new Int32Array(n + 1);
  let nextSubs = new Int32Array(n + 1);
  let nextROnly = new Int32Array(n + 1);
  let nextCOnly = new Int32Array(n + 1);
  for (let j = 0; j <= n; j++) {
    cost[j] = j;
    cOnly[j] = j;
  }
  for (const word of rows) {
    nextCost[0] = cost[0] + 1;
    nextSubs[0] = 0;
    nextROnly[0] = rOnly[0] + 1;
    nextCOnly[0] = 0;
    for (let j = 1; j <= n; j++) {
      const same = cols[j - 1] === word;
      const diag = cost[j - 1] + (same ? 0 : 1);
      const up = cost[j] + 1;
      const left = nextCost[j - 1] + 1;
      if (diag <= up && diag <= left) {
        nextCost[j] = diag;
        nextSubs[j] = subs[j - 1] + (same ? 0 : 1);
        nextROnly[j] = rOnly[j - 1];
        nextCOnly[j] = cOnly[j - 1];
      } else if (up <= left) {
        nextCost[j] = up;
        nextSubs[j] = subs[j];
        nextROnly[j] = rOnly[j] + 1;
        nextCOnly[j] = cOnly[j];
      } else {
        nextCost[j] = left;
        nextSubs[j] = nextSubs[j - 1];
        nextROnly[j] = nextROnly[j - 1];
        nextCOnly[j] = nextCOnly[j - 1] + 1;
      }
    }
    [cost, nextCost] = [nextCost, cost];
    [subs, nextSubs] = [nextSubs, subs];
    [rOnly, nextROnly] = [nextROnly, rOnly];
    [cOnly, nextCOnly] = [nextCOnly, cOnly];
  }
  return { substitutions: subs[n], rowsOnly: rOnly[n], colsOnly: cOnly[n] };
}
