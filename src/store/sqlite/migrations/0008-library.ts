import type { Migration } from '../../migration.js';

/**
 * Words in the transcript JSON `t`: per segment, the length of its `words` array, or, for a segment
 * without word timings, the blank-separated tokens of its text (tabs and line breaks count as blanks;
 * runs of up to eight blanks are folded, which is all the text writers ever produce).
 */
export const wordCount = (t: string): string => `
  SELECT COALESCE(SUM(CASE
      WHEN json_type(seg, '$.words') = 'array' AND json_array_length(seg, '$.words') > 0
        THEN json_array_length(seg, '$.words')
      WHEN x = '' THEN 0
      ELSE length(x) - length(replace(x, ' ', '')) + 1
    END), 0)
  FROM (
    SELECT s.value AS seg,
      trim(replace(replace(replace(replace(replace(replace(
        COALESCE(CAST(json_extract(s.value, '$.text') AS TEXT), ''),
        char(9), ' '), char(10), ' '), char(13), ' '), '  ', ' '), '  ', ' '), '  ', ' ')) AS x
    FROM json_each(${t}, '$.segments') s
  )`;

/**
 * The library: a title of the user's own beside the file name, and the transcript's word count kept
 * on the task row, so the list shows and sorts by it without reading transcripts. Triggers on
 * transcripts keep the count in step with every way a transcript is written (complete, addFinished,
 * an edit's UPDATE); INSERT OR REPLACE fires the insert trigger. word_count is NULL until a transcript
 * exists. Creation order already has tasks_user_created_idx and title order gets one here; the rarer
 * sorts (duration, words, status) and q's substring match read the user's rows and sort them in
 * memory, a few tens of ms at 10,000 tasks (docs/benchmarks.md).
 */
export const library: Migration = {
  version: 8,
  name: 'library',
  sql: `
ALTER TABLE tasks ADD COLUMN title TEXT CHECK (title IS NULL OR length(title) BETWEEN 1 AND 200);
ALTER TABLE tasks ADD COLUMN word_count INTEGER;

-- Sorting by title walks this index (with LIMIT) instead of sorting all of a user's rows; the
-- expression is the one the list orders by (task.list.ts).
CREATE INDEX tasks_user_title_idx ON tasks (user_id, lower(COALESCE(title, source_name)), id);

CREATE TRIGGER transcripts_word_count_insert AFTER INSERT ON transcripts BEGIN
  UPDATE tasks SET word_count = (${wordCount('NEW.json')}) WHERE id = NEW.task_id;
END;
CREATE TRIGGER transcripts_word_count_update AFTER UPDATE OF json ON transcripts BEGIN
  UPDATE tasks SET word_count = (${wordCount('NEW.json')}) WHERE id = NEW.task_id;
END;
CREATE TRIGGER transcripts_word_count_delete AFTER DELETE ON transcripts BEGIN
  UPDATE tasks SET word_count = NULL WHERE id = OLD.task_id;
END;

-- Transcripts stored before this migration.
UPDATE tasks SET word_count = (SELECT (${wordCount('t.json')}) FROM transcripts t WHERE t.task_id = tasks.id)
WHERE id IN (SELECT task_id FROM transcripts);
`,
};
