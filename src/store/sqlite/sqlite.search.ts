import {
  MAX_RANKED_MATCHES,
  parseSearchQuery,
  type SearchHit,
  type SearchPage,
  SNIPPET_CLOSE,
  SNIPPET_OPEN,
} from '../../core/search.js';
import { hitFromRow } from '../search.rows.js';
import type { Scope } from '../task.store.js';
import type { SqliteDb } from './sqlite.db.js';

/** Tokens around the match in a snippet; most segments are shorter and come back whole. */
const SNIPPET_TOKENS = 32;

/** A user as one FTS5 token, as migration 9's `owner` column spells it ('u' || hex(user_id) || '0'). */
export function ownerToken(userId: string): string {
  return `u${Buffer.from(userId, 'utf8').toString('hex')}0`;
}

/**
 * The FTS5 MATCH expressions: every group quoted, so each is a phrase of plain tokens and nothing in
 * the input is read as an FTS5 operator (NEAR, AND, *, -, column filters). Groups hold only letters,
 * marks and digits (see parseSearchQuery), so they never contain a quote to escape. `words` matches
 * the text column only; `scoped` adds a user's owner token, which FTS5 intersects with the words.
 */
export function ftsMatch(q: string, scope: Scope): { scoped: string; words: string } | null {
  const groups = parseSearchQuery(q);
  if (groups.length === 0) return null;
  const words = `text : (${groups.map((g) => `"${g.join(' ')}"`).join(' ')})`;
  return { words, scoped: 'admin' in scope ? words : `owner : "${ownerToken(scope.userId)}" AND ${words}` };
}

/**
 * Where a user's candidates come from. Intersecting with the owner token costs about a read of the
 * user's whole owner doclist (~5 ms for 70,000 segments); checking each match's segment row costs
 * ~2 µs a match. So a query the index matches fewer times than this (all users' matches, counted
 * up to here) checks rows; a more common one intersects. Both give the same candidates and ranks.
 */
const INTERSECT_FROM_MATCHES = 2_000;

/**
 * Best first (bm25 on the text column), then by task and segment, so pages never overlap. At most
 * MAX_RANKED_MATCHES matches are ranked: the first FTS5 returns, in rowid order (the order segments
 * were first indexed), the same rows for every page. Segment rows, tasks and snippets are read for
 * the page only; that pass matches the words alone (the candidates are already the user's).
 */
export function search(db: SqliteDb, scope: Scope, q: string, page: SearchPage): SearchHit[] {
  const match = ftsMatch(q, scope);
  if (match === null) return [];
  const fts = 'transcript_segments_fts';
  const intersect =
    'admin' in scope ||
    Number(
      db.get(`SELECT count(*) AS n FROM (SELECT rowid FROM ${fts} WHERE ${fts} MATCH @words LIMIT @upTo)`, {
        words: match.words,
        upTo: INTERSECT_FROM_MATCHES,
      })?.n,
    ) >= INTERSECT_FROM_MATCHES;
  const candidates = intersect
    ? `SELECT rowid AS id, bm25(${fts}, 1.0, 0.0) AS rank FROM ${fts} WHERE ${fts} MATCH @scoped`
    : `SELECT ${fts}.rowid AS id, bm25(${fts}, 1.0, 0.0) AS rank
       FROM ${fts} JOIN transcript_segments s ON s.id = ${fts}.rowid
       WHERE ${fts} MATCH @words AND s.user_id = @userId`;
  const rows = db.all(
    `WITH candidates AS (${candidates} LIMIT ${MAX_RANKED_MATCHES}),
     page AS (
       SELECT c.id, c.rank, s.task_id, s.idx, s.start_s, s.end_s
       FROM candidates c JOIN transcript_segments s ON s.id = c.id
       ORDER BY c.rank, s.task_id, s.idx
       LIMIT @limit OFFSET @offset)
     SELECT p.task_id, t.source_name, p.idx, p.start_s, p.end_s,
       snippet(${fts}, 0, @open, @close, '…', ${SNIPPET_TOKENS}) AS snippet
     FROM page p
     JOIN ${fts} ON ${fts}.rowid = p.id
     JOIN tasks t ON t.id = p.task_id
     WHERE ${fts} MATCH @words
     ORDER BY p.rank, p.task_id, p.idx`,
    {
      ...(intersect ? { scoped: match.scoped } : { userId: 'userId' in scope ? scope.userId : '' }),
      words: match.words,
      open: SNIPPET_OPEN,
      close: SNIPPET_CLOSE,
      limit: page.limit,
      offset: page.offset,
    },
  );
  return rows.map(hitFromRow);
}
