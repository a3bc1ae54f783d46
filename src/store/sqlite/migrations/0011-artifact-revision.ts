import type { Migration } from '../../migration.js';

/**
 * A summary or polish records the transcript revision it was made from, so a request after an edit
 * makes it again from the newest revision (see artifactRequeues). Results made before this migration
 * have none; a request treats them as made from revision 0.
 */
export const artifactRevision: Migration = {
  version: 11,
  name: 'artifact-revision',
  sql: `ALTER TABLE artifacts ADD COLUMN revision INTEGER;`,
};
