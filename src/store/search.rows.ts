import type { SearchHit } from '../core/search.js';
import type { Row } from './task.rows.js';

/** A search result row (both dialects select the same columns) as a hit. */
export function hitFromRow(r: Row): SearchHit {
  return {
    taskId: String(r.task_id),
    sourceName: String(r.source_name),
    segmentIndex: Number(r.idx),
    start: Number(r.start_s),
    end: Number(r.end_s),
    snippet: String(r.snippet),
  };
}
