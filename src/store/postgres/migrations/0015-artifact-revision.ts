import type { Migration } from '../../migration.js';

/** As SQLite's migration 11: the transcript revision a summary or polish was made from. */
export const artifactRevision: Migration = {
  version: 15,
  name: 'artifact-revision',
  sql: `ALTER TABLE artifacts ADD COLUMN revision INTEGER;`,
};
