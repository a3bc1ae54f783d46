import type { Migration } from '../../migration.js';

/**
 * Transcript history (see store/revision.rows.ts): transcripts.json stays the newest revision and
 * gains its number; the history rows go with their transcript, which goes with its task.
 */
export const transcriptRevisions: Migration = {
  version: 7,
  name: 'transcript-revisions',
  sql: `
ALTER TABLE transcripts ADD COLUMN revision INTEGER NOT NULL DEFAULT 0 CHECK (revision >= 0);

CREATE TABLE transcript_revisions (
  task_id TEXT NOT NULL REFERENCES transcripts (task_id) ON DELETE CASCADE,
  revision INTEGER NOT NULL CHECK (revision >= 0),
  kind TEXT NOT NULL CHECK (kind IN ('machine', 'edit', 'revert')),
  user_id TEXT,
  created_at INTEGER NOT NULL,
  operations TEXT NOT NULL DEFAULT '[]',
  snapshot TEXT,
  reverted_to INTEGER,
  PRIMARY KEY (task_id, revision),
  CHECK (kind <> 'edit' OR revision > 0),
  CHECK (kind = 'edit' OR snapshot IS NOT NULL)
) STRICT;
`,
};
