import type { Migration } from '../../migration.js';

/** Upserts the segment rows of transcript NEW, then drops rows past its last segment. */
export const reindex = `
  INSERT INTO transcript_segments (task_id, user_id, idx, start_s, end_s, text)
  SELECT NEW.task_id, (SELECT user_id FROM tasks WHERE id = NEW.task_id), CAST(s.key AS INTEGER),
    COALESCE(CAST(json_extract(s.value, '$.start') AS REAL), 0),
    COALESCE(CAST(json_extract(s.value, '$.end') AS REAL), 0),
    COALESCE(CAST(json_extract(s.value, '$.text') AS TEXT), '')
  FROM json_each(NEW.json, '$.segments') s WHERE true
  ON CONFLICT (task_id, idx) DO UPDATE SET start_s = excluded.start_s, end_s = excluded.end_s, text = excluded.text
  WHERE start_s IS NOT excluded.start_s OR end_s IS NOT excluded.end_s OR text IS NOT excluded.text;
  DELETE FROM transcript_segments
  WHERE task_id = NEW.task_id AND idx >= COALESCE(json_array_length(NEW.json, '$.segments'), 0);`;

/**
 * Search at scale (issue 14).
 *
 * Scope inside the index: segment rows carry their task's user_id (tasks.user_id never changes), and
 * the FTS5 table gets a second column, `owner`: the user id as one token ('u' + hex of its bytes +
 * '0': letters and digits only, so unicode61 keeps it whole; ending in a digit, so porter leaves it
 * alone; hex, so two users never share a token). A user's query ANDs that token with the words, so
 * FTS5 intersects the doclists and returns only the user's matches, instead of every user's matches
 * each checked against its segment row. The column is generated (virtual) from user_id, so the
 * external-content table reads it from transcript_segments like the text.
 *
 * Incremental re-index: writing a transcript no longer deletes and re-inserts every segment row (and
 * its FTS entries): the triggers upsert only segments whose times or text changed and delete those
 * past the new end, so an edit of one segment of an hour-long transcript re-indexes one row. The FTS
 * table follows a text update through its own trigger (delete the old entry, insert the new, same
 * rowid). INSERT and INSERT OR REPLACE run the same upsert: whatever rows an earlier transcript left
 * are brought in line with the new one.
 */
export const searchIncremental: Migration = {
  version: 9,
  name: 'search-incremental',
  sql: `
ALTER TABLE transcript_segments ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
UPDATE transcript_segments SET user_id = (SELECT t.user_id FROM tasks t WHERE t.id = transcript_segments.task_id);
ALTER TABLE transcript_segments ADD COLUMN owner TEXT GENERATED ALWAYS AS ('u' || hex(user_id) || '0') VIRTUAL;

DROP TRIGGER transcript_segments_fts_insert;
DROP TRIGGER transcript_segments_fts_delete;
DROP TABLE transcript_segments_fts;
CREATE VIRTUAL TABLE transcript_segments_fts USING fts5(
  text, owner, content = 'transcript_segments', content_rowid = 'id',
  tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO transcript_segments_fts (transcript_segments_fts) VALUES ('rebuild');

CREATE TRIGGER transcript_segments_fts_insert AFTER INSERT ON transcript_segments BEGIN
  INSERT INTO transcript_segments_fts (rowid, text, owner) VALUES (NEW.id, NEW.text, NEW.owner);
END;
CREATE TRIGGER transcript_segments_fts_delete AFTER DELETE ON transcript_segments BEGIN
  INSERT INTO transcript_segments_fts (transcript_segments_fts, rowid, text, owner)
  VALUES ('delete', OLD.id, OLD.text, OLD.owner);
END;
CREATE TRIGGER transcript_segments_fts_update AFTER UPDATE OF text ON transcript_segments BEGIN
  INSERT INTO transcript_segments_fts (transcript_segments_fts, rowid, text, owner)
  VALUES ('delete', OLD.id, OLD.text, OLD.owner);
  INSERT INTO transcript_segments_fts (rowid, text, owner) VALUES (NEW.id, NEW.text, NEW.owner);
END;

DROP TRIGGER transcripts_search_insert;
DROP TRIGGER transcripts_search_update;
CREATE TRIGGER transcripts_search_insert AFTER INSERT ON transcripts BEGIN ${reindex}
END;
CREATE TRIGGER transcripts_search_update AFTER UPDATE OF json ON transcripts BEGIN ${reindex}
END;
`,
};
