import type { Migration } from '../../migration.js';
import { reindex } from './0009-search-incremental.js';

/**
 * An edit re-indexes its own segments (issue 14: PATCH p95 < 50 ms). The update trigger of
 * migration 9 parses the whole stored JSON and probes every segment row (~700 for an hour), and a
 * split or merge shifts every later segment's index, so it rewrote all their rows and FTS entries.
 * Edits and reverts move the transcript to a new revision; the trigger now fires only for writes
 * that keep it (a completion run again), and the edit writes the rows itself, knowing which
 * segments changed: see sqlite.revisions.ts. INSERT is unchanged.
 */
export const editReindex: Migration = {
  version: 10,
  name: 'edit-reindex',
  sql: `
DROP TRIGGER transcripts_search_update;
CREATE TRIGGER transcripts_search_update AFTER UPDATE OF json ON transcripts
WHEN NEW.revision IS OLD.revision BEGIN ${reindex}
END;
`,
};
