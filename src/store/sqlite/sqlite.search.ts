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
 * The FTS5 MATCH expression: every group quoted, so each is a phrase of plain tokens and nothing in
 * the input is read as an FTS5 operator (NEAR, AND, *, -, column filters). Groups hold only letters,
 * marks and digits (see parseSearchQuery), so they never contain a quote to escape. The words match
 * the text column only; a user's scope adds the user's owner token, which FTS5 intersects with them.
 */
export function ftsMatch(q: string, scope: Scope): string | null {
  const groups = parseSearchQuery(q);
  if (groups.length === 0) return null;
  const words = `text : (${groups.map((g) => `"${g.join(' ')}"`).join(' ')})`;
  return 'admin' in scope ? words : `owner : "${ownerToken(scope.userId)}" AND ${words}`;
}

/**
 * Best first (bm25 on the text column), then by task and segment, so pages never overlap. At most
 * MAX_RANKED_MATCHES matches are ranked: the first FTS5 returns, in rowid order (the order segments
 * were first indexed), the same rows for every page. Segment rows, tasks and snippets are read for
 * the page only.
 */
export function search(db: SqliteDb, scope: Scope, q: string, page: SearchPage): SearchHit[] {
  const match = ftsMatch(q, scope);
  if (match === null) return [];
  const rows = db.all(
    `WITH candidates AS (
       SELECT rowid AS id, bm25(transcript_segments_fts, 1.0, 0.0) AS rank
       FROM transcript_segments_fts WHERE transcript_segments_fts MATCH @match
       LIMIT ${MAX_RANKED_MATCHES}),
     page AS (
       SELECT c.id, c.rank, s.task_id, s.idx, s.start_s, s.end_s
       FROM candidates c JOIN transcript_segments s ON s.id = c.id
       ORDER BY c.rank, s.task_id, s.idx
       LIMIT @limit OFFSET @offset)
     SELECT p.task_id, t.source_name, p.idx, p.start_s, p.end_s,
       snippet(transcript_segments_fts, 0, @open, @close, '…', ${SNIPPET_TOKENS}) AS snippet
     FROM page p
     JOIN transcript_segments_fts ON transcript_segments_fts.rowid = p.id
     JOIN tasks t ON t.id = p.task_id
     WHERE transcript_segments_fts MATCH @match
     ORDER BY p.rank, p.task_id, p.idx`,
    { match, open: SNIPPET_OPEN, close: SNIPPET_CLOSE, limit: page.limit, offset: page.offset },
  );
  return rows.map(hitFromRow);
}
