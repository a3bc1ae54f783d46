import type { Migration } from '../../migration.js';

/**
 * The library: a title of the user's own beside the file name, and the transcript's word count kept
 * on the task row, so the list shows and sorts by it without reading transcripts. A trigger on
 * transcripts keeps the count in step with every way a transcript is written (complete, addFinished,
 * an edit's UPDATE); word_count is NULL until a transcript exists. Creation order already has
 * tasks_user_created_idx and title order gets one here; the rarer sorts (duration, words, status) and
 * q's substring match read the user's rows and sort them in memory, a few tens of ms at 10,000 tasks
 * (docs/benchmarks.md).
 *
 * transcript_word_count: per segment, the length of its `words` array, or, for a segment without
 * word timings, the whitespace-separated tokens of its text. The same rule as SQLite's migration 8.
 * Functions run with the search_path they were created with (this schema), as in 0004.
 */
export const library: Migration = {
  version: 10,
  name: 'library',
  sql: `
ALTER TABLE tasks ADD COLUMN title TEXT CHECK (title IS NULL OR char_length(title) BETWEEN 1 AND 200);
ALTER TABLE tasks ADD COLUMN word_count INTEGER;

-- Sorting by title walks this index (with LIMIT) instead of sorting all of a user's rows; the
-- expression is the one the list orders by (task.list.ts).
CREATE INDEX tasks_user_title_idx ON tasks (user_id, (lower(COALESCE(title, source_name))), id);

CREATE FUNCTION transcript_word_count(t jsonb) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
  SELECT COALESCE(SUM(CASE
      WHEN jsonb_typeof(s.seg -> 'words') = 'array' AND jsonb_array_length(s.seg -> 'words') > 0
        THEN jsonb_array_length(s.seg -> 'words')
      WHEN x.text IS NULL THEN 0
      ELSE array_length(regexp_split_to_array(x.text, '\\s+'), 1)
    END), 0)::integer
  FROM jsonb_array_elements(
    CASE WHEN jsonb_typeof(t -> 'segments') = 'array' THEN t -> 'segments' ELSE '[]'::jsonb END
  ) AS s (seg),
  LATERAL (SELECT NULLIF(regexp_replace(COALESCE(s.seg ->> 'text', ''), '^\\s+|\\s+$', '', 'g'), '') AS text) x
$$;

CREATE FUNCTION transcript_word_count_sync() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    UPDATE tasks SET word_count = NULL WHERE id = OLD.task_id;
  ELSE
    UPDATE tasks SET word_count = transcript_word_count(NEW.json) WHERE id = NEW.task_id;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER transcripts_word_count AFTER INSERT OR UPDATE OF json OR DELETE ON transcripts
FOR EACH ROW EXECUTE FUNCTION transcript_word_count_sync();

-- Transcripts stored before this migration.
UPDATE tasks SET word_count = transcript_word_count(t.json) FROM transcripts t WHERE t.task_id = tasks.id;
`,
};
