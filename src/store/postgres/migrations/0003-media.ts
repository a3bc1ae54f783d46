import type { Migration } from '../../migration.js';

/**
 * Task inputs kept in the database (EARSHOT_MEDIA_STORE=database), so nodes share nothing but
 * PostgreSQL. An object is written part by part as its stream arrives (bounded memory, one short
 * statement per part instead of one huge value or transaction) and becomes visible only when
 * `complete`. No foreign key to tasks: media is stored before its task is enqueued, and the
 * orphan sweep removes objects whose task never came (or an upload cut off with its node).
 * Parts are stored EXTERNAL: audio is compressed already, so TOAST compression would spend CPU for nothing.
 */
export const media: Migration = {
  version: 3,
  name: 'media',
  sql: `
CREATE TABLE media_objects (
  key TEXT PRIMARY KEY,
  task_id TEXT NOT NULL,
  part_bytes INTEGER NOT NULL CHECK (part_bytes > 0),
  bytes BIGINT NOT NULL DEFAULT 0 CHECK (bytes >= 0),
  complete BOOLEAN NOT NULL DEFAULT FALSE,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE INDEX media_objects_task_idx ON media_objects (task_id);
CREATE INDEX media_objects_updated_idx ON media_objects (updated_at);

-- Part seq covers bytes [seq * part_bytes, (seq + 1) * part_bytes): a range read starts at its part.
CREATE TABLE media_parts (
  key TEXT NOT NULL REFERENCES media_objects (key) ON DELETE CASCADE,
  seq INTEGER NOT NULL CHECK (seq >= 0),
  data BYTEA NOT NULL,
  PRIMARY KEY (key, seq)
);

ALTER TABLE media_parts ALTER COLUMN data SET STORAGE EXTERNAL;
`,
};
