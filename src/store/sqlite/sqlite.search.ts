import { parseSearchQuery, type SearchHit, type SearchPage, SNIPPET_CLOSE, SNIPPET_OPEN } from '../../core/search.js';
import { hitFromRow } from '../search.rows.js';
import type { Scope } from '../task.store.js';
import type { SqliteDb } from './sqlite.db.js';

/** Tokens around the match in a snippet; most segments are shorter and come back whole. */
const SNIPPET_TOKENS = 32;

/**
 * The FTS5 MATCH expression: every group quoted, so each is a phrase of plain tokens and nothing in
 * the input is read as an FTS5 operator (NEAR, AND, *, -, column filters). Groups hold only letters,
 * marks and digits (see parseSearchQuery), so they never contain a quote to escape.
 */
export function ftsMatch(q: string): string | null {
  const groups = parseSearchQuery(q);
  return groups.length === 0 ? null : groups.map((g) => `"${g.join(' ')}"`).join(' ');
}

/**
 * Best first (bm25), then by task and segment, so pages never overlap. A user's scope is checked on
 * the segment row the match already reads (its own user_id), not on a joined task.
 */
export function search(db: SqliteDb, scope: Scope, q: string, page: SearchPage): SearchHit[] {
  const match = ftsMatch(q);
  if (match === null) return [];
  const scoped = 'admin' in scope ? '' : ' AND s.user_id = @userId';
  const rows = db.all(
    `SELECT s.task_id, t.source_name, s.idx, s.start_s, s.end_s,
       snippet(transcript_segments_fts, 0, @open, @close, '…', ${SNIPPET_TOKENS}) AS snippet
     FROM transcript_segments_fts
     JOIN transcript_segments s ON s.id = transcript_segments_fts.rowid
     JOIN tasks t ON t.id = s.task_id
     WHERE transcript_segments_fts MATCH @match${scoped}
     ORDER BY bm25(transcript_segments_fts), s.task_id, s.idx
     LIMIT @limit OFFSET @offset`,
    {
      match,
      open: SNIPPET_OPEN,
      close: SNIPPET_CLOSE,
      limit: page.limit,
      offset: page.offset,
      ...('admin' in scope ? {} : { userId: scope.userId }),
    },
  );
  return rows.map(hitFromRow);
}
