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
import type { PgDb } from './postgres.db.js';

/**
 * ts_headline options. Segments are short, so a snippet is usually the whole segment; long ones are
 * cut to MaxWords around the best match. The marks contain no comma, quote or '=' to escape.
 */
const HEADLINE = `StartSel=${SNIPPET_OPEN}, StopSel=${SNIPPET_CLOSE}, MaxWords=32, MinWords=12, ShortWord=0, FragmentDelimiter=…`;

/**
 * Best first (ts_rank), then by task and segment position, so pages never overlap. Each group of the parsed
 * query is a phraseto_tsquery (one word, or adjacent words in order) and all must match: no input
 * reaches tsquery syntax. A user's scope filters the segment rows' own user_id (an index ANDed with
 * the GIN index's bitmap: only that user's matching rows are read). At most MAX_RANKED_MATCHES
 * matches are ranked; tasks are joined and ts_headline, the costly part, run for the page only.
 *
 * The candidates must be the same rows for every page of a query. Bitmap heap scans return rows in
 * storage order whichever index feeds them; a sequential scan may start mid-table (synchronised
 * scans), an index scan returns index order and parallel workers interleave their rows, so the query
 * runs with only bitmap scans enabled and no parallel workers.
 */
export async function search(db: PgDb, scope: Scope, q: string, page: SearchPage): Promise<SearchHit[]> {
  const groups = parseSearchQuery(q);
  if (groups.length === 0) return [];
  const params: unknown[] = [];
  const query = groups.map((g) => `phraseto_tsquery('english', $${params.push(g.join(' '))})`).join(' && ');
  const scoped = 'admin' in scope ? '' : ` AND s.user_id = $${params.push(scope.userId)}`;
  const limit = `$${params.push(page.limit)}`;
  const offset = `$${params.push(page.offset)}`;
  const headline = `$${params.push(HEADLINE)}`;
  const segments = `${db.t.schema}.transcript_segments`;
  const rows = await db.read(async (tx) => {
    await tx.run(
      'SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off; SET LOCAL max_parallel_workers_per_gather = 0',
    );
    const hits = await tx.all(
      `WITH q AS (SELECT ${query} AS query),
       candidates AS (
         SELECT s.task_id, s.pos, s.start_s, s.end_s, s.text, s.tsv
         FROM q, ${segments} s
         WHERE s.tsv @@ q.query${scoped}
         LIMIT ${MAX_RANKED_MATCHES}),
       hits AS (
         SELECT c.task_id, c.pos, c.start_s, c.end_s, c.text, ts_rank(c.tsv, q.query) AS rank
         FROM candidates c, q
         ORDER BY rank DESC, c.task_id, c.pos
         LIMIT ${limit} OFFSET ${offset})
       SELECT h.task_id, t.source_name, h.pos, h.start_s, h.end_s,
         ts_headline('english', h.text, q.query, ${headline}) AS snippet
       FROM hits h JOIN ${db.t.tasks} t ON t.id = h.task_id, q
       ORDER BY h.rank DESC, h.task_id, h.pos`,
      params,
    );
    if (hits.length === 0) return hits;
    // Rows are keyed by position, not index (migration 13): a hit's segment index is the number of
    // its task's rows before it, an index range read (index scans allowed again for this one).
    await tx.run('SET LOCAL enable_indexscan = on');
    const indexes = await tx.all(
      `SELECT (SELECT count(*) FROM ${segments} x WHERE x.task_id = h.task_id AND x.pos < h.pos) AS idx
       FROM unnest($1::text[], $2::double precision[]) WITH ORDINALITY AS h (task_id, pos, n) ORDER BY h.n`,
      [hits.map((h) => h.task_id), hits.map((h) => h.pos)],
    );
    return hits.map((h, i) => ({ ...h, idx: indexes[i]?.idx }));
  });
  return rows.map(hitFromRow);
}
