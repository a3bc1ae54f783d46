import type { Migration } from '../../migration.js';

/** Segment rows of the transcript row `r` (NEW in the trigger, or a table alias that `from` brings in). */
const segmentsOf = (r: string, from = ''): string => `
  SELECT ${r}.task_id, (s.n - 1)::integer,
    COALESCE((s.seg ->> 'start')::double precision, 0),
    COALESCE((s.seg ->> 'end')::double precision, 0),
    COALESCE(s.seg ->> 'text', '')
  FROM ${from} jsonb_array_elements(
    CASE WHEN jsonb_typeof(${r}.json -> 'segments') = 'array' THEN ${r}.json -> 'segments' ELSE '[]'::jsonb END
  ) WITH ORDINALITY AS s (seg, n)`;

/**
 * Full-text search, one row per transcript segment (so a hit carries its times). Transitions write
 * transcripts inside single statements (data-modifying CTEs), so a trigger on transcripts, not the
 * transitions, keeps the index in step: it fires for every way a transcript is written. Segments go
 * with their transcript (foreign key), which goes with its task. The tsvector is a generated column
 * ('english': stemmed, stop words dropped) under a GIN index.
 *
 * The trigger function runs with the search_path it was created with (this schema), as in 0004.
 */
export const search: Migration = {
  version: 8,
  name: 'search',
  sql: `
CREATE TABLE transcript_segments (
  task_id TEXT NOT NULL REFERENCES transcripts (task_id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  start_s DOUBLE PRECISION NOT NULL,
  end_s DOUBLE PRECISION NOT NULL,
  text TEXT NOT NULL,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, text)) STORED,
  PRIMARY KEY (task_id, idx)
);

CREATE INDEX transcript_segments_tsv_idx ON transcript_segments USING GIN (tsv);

CREATE FUNCTION transcript_search_index() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  DELETE FROM transcript_segments WHERE task_id = NEW.task_id;
  INSERT INTO transcript_segments (task_id, idx, start_s, end_s, text) ${segmentsOf('NEW')};
  RETURN NULL;
END;
$$;

CREATE TRIGGER transcripts_search_index AFTER INSERT OR UPDATE OF json ON transcripts
FOR EACH ROW EXECUTE FUNCTION transcript_search_index();

-- Transcripts stored before this migration.
INSERT INTO transcript_segments (task_id, idx, start_s, end_s, text) ${segmentsOf('t', 'transcripts t,')};
`,
};
