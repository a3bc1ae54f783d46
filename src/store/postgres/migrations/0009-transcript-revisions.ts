import type { Migration } from '../../migration.js';

/**
 * Transcript history (see store/revision.rows.ts): transcripts.json stays the newest revision and
 * gains its number; the history rows go with their transcript, which goes with its task.
 *
 * Every edit rewrites the whole transcript (about 1 MB of JSON for an hour), so its compression is
 * on the path of every save: lz4 compresses several times faster than the default pglz, for
 * slightly larger values. It needs PostgreSQL 14+ built with lz4; elsewhere the default stays.
 */
export const transcriptRevisions: Migration = {
  version: 9,
  name: 'transcript-revisions',
  sql: `
ALTER TABLE transcripts ADD COLUMN revision INTEGER NOT NULL DEFAULT 0 CHECK (revision >= 0);

CREATE TABLE transcript_revisions (
  task_id TEXT NOT NULL REFERENCES transcripts (task_id) ON DELETE CASCADE,
  revision INTEGER NOT NULL CHECK (revision >= 0),
  kind TEXT NOT NULL CHECK (kind IN ('machine', 'edit', 'revert')),
  user_id TEXT,
  created_at BIGINT NOT NULL,
  operations JSONB NOT NULL DEFAULT '[]',
  snapshot JSONB,
  reverted_to INTEGER,
  PRIMARY KEY (task_id, revision),
  CHECK (kind <> 'edit' OR revision > 0),
  CHECK (kind = 'edit' OR snapshot IS NOT NULL)
);

DO $$
BEGIN
  ALTER TABLE transcripts ALTER COLUMN json SET COMPRESSION lz4;
  ALTER TABLE transcript_revisions ALTER COLUMN snapshot SET COMPRESSION lz4;
EXCEPTION WHEN OTHERS THEN
  NULL;
END $$;
`,
};
