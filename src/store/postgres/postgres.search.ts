import { parseSearchQuery, type SearchHit, type SearchPage, SNIPPET_CLOSE, SNIPPET_OPEN } from '../../core/search.js';
import { hitFromRow } from '../search.rows.js';
import type { Scope } from '../task.store.js';
import type { PgDb } from './postgres.db.js';

/**
 * ts_headline options. Segments are short, so a snippet is usually the whole segment; long ones are
 * cut to MaxWords around the best match. The marks contain no comma, quote or '=' to escape.
 */
const HEADLINE = `StartSel=${SNIPPET_OPEN}, StopSel=${SNIPPET_CLOSE}, MaxWords=32, MinWords=12, ShortWord=0, FragmentDelimiter=…`;

/**
 * Best first (ts_rank), then by task and segment, so pages never overlap. Each group of the parsed
 * query is a phraseto_tsquery (one word, or adjacent words in order) and all must match: no input
 * reaches tsquery syntax. ts_headline, the costly part, runs on the page only.
 */
export async function search(db: PgDb, scope: Scope, q: string, page: SearchPage): Promise<SearchHit[]> {
  const groups = parseSearchQuery(q);
  if (groups.length === 0) return [];
  const params: unknown[] = [];
  const query = groups.map((g) => `phraseto_tsquery('english', $${params.push(g.join(' '))})`).join(' && ');
  const scoped = 'admin' in scope ? '' : ` AND t.user_id = $${params.push(scope.userId)}`;
  const limit = `$${params.push(page.limit)}`;
  const offset = `$${params.push(page.offset)}`;
  const headline = `$${params.push(HEADLINE)}`;
  const segments = `${db.t.schema}.transcript_segments`;
  const rows = await db.all(
    `WITH q AS (SELECT ${query} AS query),
     hits AS (
       SELECT s.task_id, t.source_name, s.idx, s.start_s, s.end_s, s.text, ts_rank(s.tsv, q.query) AS rank
       FROM q, ${segments} s JOIN ${db.t.tasks} t ON t.id = s.task_id
       WHERE s.tsv @@ q.query${scoped}
       ORDER BY rank DESC, s.task_id, s.idx
       LIMIT ${limit} OFFSET ${offset})
     SELECT h.task_id, h.source_name, h.idx, h.start_s, h.end_s,
       ts_headline('english', h.text, q.query, ${headline}) AS snippet
     FROM hits h, q
     ORDER BY h.rank DESC, h.task_id, h.idx`,
    params,
  );
  return rows.map(hitFromRow);
}
