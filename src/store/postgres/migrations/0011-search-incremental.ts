import type { Migration } from '../../migration.js';

/**
 * Search at scale (issue 14). Segment rows carry their task's user_id (tasks.user_id never
 * changes) under a btree index, so a user's search reads only that user's matching rows (a
 * BitmapAnd of this index and the GIN index) instead of every user's matches, then a join to tasks.
 * Writing a transcript no longer deletes and re-inserts every segment row (each a new heap tuple
 * and new GIN entries): on UPDATE the trigger compares the new segments with the old JSON's, element
 * by element (jsonb is already parsed, so this is cheap), and upserts only those that differ, which
 * also skips the row lock ON CONFLICT would take on every unchanged row; the upsert itself still
 * leaves rows whose times and text are unchanged alone (a change of words only). Rows past the new
 * end are deleted. An edit of one segment of an hour-long transcript re-indexes one row. INSERT
 * (and an INSERT … ON CONFLICT that finds no old row) upserts every segment.
 */
export const searchIncremental: Migration = {
  version: 11,
  name: 'search-incremental',
  sql: `
ALTER TABLE transcript_segments ADD COLUMN user_id TEXT;
UPDATE transcript_segments s SET user_id = t.user_id FROM tasks t WHERE t.id = s.task_id;
ALTER TABLE transcript_segments ALTER COLUMN user_id SET NOT NULL;
-- A user's search ANDs this index's bitmap with the GIN index's, so only the user's matching rows are read.
CREATE INDEX transcript_segments_user_idx ON transcript_segments (user_id);

CREATE OR REPLACE FUNCTION transcript_search_index() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  segs jsonb := CASE WHEN jsonb_typeof(NEW.json -> 'segments') = 'array' THEN NEW.json -> 'segments' ELSE '[]'::jsonb END;
  before jsonb := CASE WHEN TG_OP = 'UPDATE' AND jsonb_typeof(OLD.json -> 'segments') = 'array'
    THEN OLD.json -> 'segments' ELSE '[]'::jsonb END;
BEGIN
  INSERT INTO transcript_segments AS cur (task_id, user_id, idx, start_s, end_s, text)
  SELECT NEW.task_id, t.user_id, (s.n - 1)::integer,
    COALESCE((s.seg ->> 'start')::double precision, 0),
    COALESCE((s.seg ->> 'end')::double precision, 0),
    COALESCE(s.seg ->> 'text', '')
  FROM tasks t, jsonb_array_elements(segs) WITH ORDINALITY AS s (seg, n)
  WHERE t.id = NEW.task_id AND s.seg IS DISTINCT FROM before -> (s.n - 1)::integer
  ON CONFLICT (task_id, idx) DO UPDATE SET start_s = excluded.start_s, end_s = excluded.end_s, text = excluded.text
  WHERE (cur.start_s, cur.end_s, cur.text) IS DISTINCT FROM (excluded.start_s, excluded.end_s, excluded.text);
  DELETE FROM transcript_segments WHERE task_id = NEW.task_id AND idx >= jsonb_array_length(segs);
  RETURN NULL;
END;
$$;
`,
};
