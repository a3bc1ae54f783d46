import type { Migration } from '../../migration.js';

/** Rewrites the segment rows of the transcript row `r` (NEW or OLD in a trigger, or a table alias). */
const indexSegments = (r: string): string => `
  INSERT INTO transcript_segments (task_id, idx, start_s, end_s, text)
  SELECT ${r}.task_id, CAST(s.key AS INTEGER),
    COALESCE(CAST(json_extract(s.value, '$.start') AS REAL), 0),
    COALESCE(CAST(json_extract(s.value, '$.end') AS REAL), 0),
    COALESCE(CAST(json_extract(s.value, '$.text') AS TEXT), '')`;

/**
 * Full-text search, one row per transcript segment (so a hit carries its times). Triggers on
 * transcripts keep the index in step with every way a transcript is written (complete, addFinished,
 * INSERT OR REPLACE), so no transition has to know about search; segments go with their transcript
 * (foreign key), which goes with its task. The FTS5 table is external-content: the text lives once,
 * in transcript_segments, and its own triggers keep the FTS index in step with that table.
 * porter + unicode61: English stemming, case and diacritics folded, like PostgreSQL's 'english'.
 */
export const search: Migration = {
  version: 6,
  name: 'search',
  sql: `
CREATE TABLE transcript_segments (
  id INTEGER PRIMARY KEY,
  task_id TEXT NOT NULL REFERENCES transcripts (task_id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  start_s REAL NOT NULL,
  end_s REAL NOT NULL,
  text TEXT NOT NULL,
  UNIQUE (task_id, idx)
) STRICT;

CREATE VIRTUAL TABLE transcript_segments_fts USING fts5(
  text, content = 'transcript_segments', content_rowid = 'id',
  tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER transcript_segments_fts_insert AFTER INSERT ON transcript_segments BEGIN
  INSERT INTO transcript_segments_fts (rowid, text) VALUES (NEW.id, NEW.text);
END;
CREATE TRIGGER transcript_segments_fts_delete AFTER DELETE ON transcript_segments BEGIN
  INSERT INTO transcript_segments_fts (transcript_segments_fts, rowid, text) VALUES ('delete', OLD.id, OLD.text);
END;

-- INSERT OR REPLACE fires no delete trigger, so the insert trigger clears what an earlier row left.
CREATE TRIGGER transcripts_search_insert AFTER INSERT ON transcripts BEGIN
  DELETE FROM transcript_segments WHERE task_id = NEW.task_id;
  ${indexSegments('NEW')} FROM json_each(NEW.json, '$.segments') s;
END;
CREATE TRIGGER transcripts_search_update AFTER UPDATE OF json ON transcripts BEGIN
  DELETE FROM transcript_segments WHERE task_id = NEW.task_id;
  ${indexSegments('NEW')} FROM json_each(NEW.json, '$.segments') s;
END;

-- Transcripts stored before this migration.
${indexSegments('t')} FROM transcripts t, json_each(t.json, '$.segments') s;
`,
};
