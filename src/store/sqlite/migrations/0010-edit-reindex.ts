import type { Migration } from '../../migration.js';
import { wordCount } from './0008-library.js';
import { reindex } from './0009-search-incremental.js';

/**
 * An edit re-indexes its own segments and counts its words (issue 14: PATCH p95 < 50 ms). The
 * update triggers of migrations 8 and 9 parse the whole stored JSON (~1 MB for an hour) and the
 * search one probes every segment row (~700); a split or merge shifts every later segment's index,
 * so it rewrote all their rows and FTS entries. Edits and reverts move the transcript to a new
 * revision; the triggers now fire only for writes that keep it (a completion run again), and the
 * edit writes the rows and the count itself, knowing which segments changed: see
 * sqlite.revisions.ts and store/word-count.ts. INSERT is unchanged.
 */
export const editReindex: Migration = {
  version: 10,
  name: 'edit-reindex',
  sql: `
DROP TRIGGER transcripts_search_update;
CREATE TRIGGER transcripts_search_update AFTER UPDATE OF json ON transcripts
WHEN NEW.revision IS OLD.revision BEGIN ${reindex}
END;
DROP TRIGGER transcripts_word_count_update;
CREATE TRIGGER transcripts_word_count_update AFTER UPDATE OF json ON transcripts
WHEN NEW.revision IS OLD.revision BEGIN
  UPDATE tasks SET word_count = (${wordCount('NEW.json')}) WHERE id = NEW.task_id;
END;
`,
};
