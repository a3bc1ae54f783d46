import type { Migration } from '../../migration.js';

/** Closest two search-row positions may be; closer, and the task's rows are numbered afresh. */
const POS_GAP = '1e-6';

/**
 * What an edit of an hour-long transcript costs PostgreSQL (issue 14: PATCH p95 < 50 ms). Measured
 * on a split of a 0.8 MB, 719-segment transcript (docs/benchmarks.md), three costs grew with the
 * document, not with the edit:
 *
 * 1. Search rows were keyed by segment index, so a split or merge shifted every later segment and
 *    the trigger rewrote all of them (each a new tuple, tsvector and GIN entries: 9–25 ms). Rows are
 *    now keyed by `pos`, a number that only orders a task's rows: the trigger finds the common
 *    prefix and suffix of the old and new segment arrays and rewrites only the middle, new rows
 *    taking positions spread between their neighbours'. When repeated splits at one place leave no
 *    room (positions closer than POS_GAP), the task's rows are numbered afresh, once. A hit's
 *    segment index is counted at search time (rows of its task ordered before it: an index range).
 * 2. pglz (de)compression of the stored document on every read and write: lz4 is several times
 *    faster. New values only; existing ones are recompressed when next written. Servers built
 *    without lz4 keep pglz.
 * 3. The triggers named NEW.json and OLD.json several times each, and each mention fetched and
 *    decompressed the whole stored document again (a full write's triggers took ~75 ms); and the
 *    word count ran a regexp over every segment's text even when its word array decides.
 *
 * Also: the trigger reads the task's owner once instead of joining tasks per segment.
 */
export const editCost: Migration = {
  version: 13,
  name: 'edit-cost',
  sql: `
ALTER TABLE transcript_segments ADD COLUMN pos DOUBLE PRECISION;
UPDATE transcript_segments SET pos = idx;
ALTER TABLE transcript_segments ALTER COLUMN pos SET NOT NULL;
ALTER TABLE transcript_segments DROP CONSTRAINT transcript_segments_pkey;
ALTER TABLE transcript_segments DROP COLUMN idx;
ALTER TABLE transcript_segments ADD PRIMARY KEY (task_id, pos);

DO $$
BEGIN
  ALTER TABLE transcripts ALTER COLUMN json SET COMPRESSION lz4;
  ALTER TABLE transcript_revisions ALTER COLUMN snapshot SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'lz4 is not available on this server: transcripts stay pglz-compressed';
END;
$$;

-- Takes the segments array, not the document: see transcript_word_count_sync.
CREATE OR REPLACE FUNCTION transcript_segments_word_count(segs jsonb) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
  SELECT COALESCE(SUM(CASE
      WHEN jsonb_typeof(s.seg -> 'words') = 'array' AND jsonb_array_length(s.seg -> 'words') > 0
        THEN jsonb_array_length(s.seg -> 'words')
      ELSE COALESCE(array_length(regexp_split_to_array(
        NULLIF(regexp_replace(COALESCE(s.seg ->> 'text', ''), '^\\s+|\\s+$', '', 'g'), ''), '\\s+'), 1), 0)
    END), 0)::integer
  FROM jsonb_array_elements(CASE WHEN jsonb_typeof(segs) = 'array' THEN segs ELSE '[]'::jsonb END) AS s (seg)
$$;

CREATE OR REPLACE FUNCTION transcript_word_count(t jsonb) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
  SELECT transcript_segments_word_count(t -> 'segments')
$$;

-- Every mention of NEW.json in a trigger fetches and decompresses the stored document again (~1 MB
-- for an hour): the segments are taken out once, into a variable.
CREATE OR REPLACE FUNCTION transcript_word_count_sync() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  segs jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN
    UPDATE tasks SET word_count = NULL WHERE id = OLD.task_id;
  ELSE
    segs := NEW.json -> 'segments';
    UPDATE tasks SET word_count = transcript_segments_word_count(segs) WHERE id = NEW.task_id;
  END IF;
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION transcript_search_index() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  segs jsonb := NEW.json -> 'segments';
  before jsonb := CASE WHEN TG_OP = 'UPDATE' THEN OLD.json -> 'segments' END;
  n_new integer;
  n_old integer;
  uid text;
  old_pos double precision[];
  a integer; -- segments equal at the start
  b integer; -- segments equal at the end (not overlapping a)
  m integer; -- new segments between them
  lo double precision;
  hi double precision;
  step double precision;
BEGIN
  IF jsonb_typeof(segs) IS DISTINCT FROM 'array' THEN segs := '[]'; END IF;
  IF jsonb_typeof(before) IS DISTINCT FROM 'array' THEN before := '[]'; END IF;
  n_new := jsonb_array_length(segs);
  SELECT user_id INTO uid FROM tasks WHERE id = NEW.task_id;
  IF TG_OP = 'UPDATE' THEN
    SELECT COALESCE(array_agg(pos ORDER BY pos), '{}') INTO old_pos FROM transcript_segments WHERE task_id = NEW.task_id;
    n_old := cardinality(old_pos);
  END IF;
  IF n_old = jsonb_array_length(before) THEN
    SELECT COALESCE(min(s.n) - 1, least(n_new, n_old)) INTO a
    FROM jsonb_array_elements(segs) WITH ORDINALITY AS s (seg, n)
    WHERE s.n <= n_old AND s.seg IS DISTINCT FROM before -> (s.n - 1)::integer;
    SELECT COALESCE(min(k) - 1, least(n_new, n_old) - a) INTO b
    FROM generate_series(1, least(n_new, n_old) - a) AS k
    WHERE segs -> (n_new - k) IS DISTINCT FROM before -> (n_old - k);
    m := n_new - a - b;
    IF m = n_old - a - b THEN
      -- As many segments as before (text, speaker or word edits): rows keep their positions and
      -- only those whose times or text changed are written.
      UPDATE transcript_segments cur SET start_s = x.start_s, end_s = x.end_s, text = x.text
      FROM (SELECT old_pos[a + j] AS pos,
              COALESCE((segs -> (a + j - 1) ->> 'start')::double precision, 0) AS start_s,
              COALESCE((segs -> (a + j - 1) ->> 'end')::double precision, 0) AS end_s,
              COALESCE(segs -> (a + j - 1) ->> 'text', '') AS text
            FROM generate_series(1, m) AS j) x
      WHERE cur.task_id = NEW.task_id AND cur.pos = x.pos
        AND (cur.start_s, cur.end_s, cur.text) IS DISTINCT FROM (x.start_s, x.end_s, x.text);
      RETURN NULL;
    END IF;
    lo := CASE WHEN a > 0 THEN old_pos[a] END;
    hi := CASE WHEN b > 0 THEN old_pos[n_old - b + 1] END;
    IF lo IS NULL AND hi IS NULL THEN lo := -1; hi := m;
    ELSIF lo IS NULL THEN lo := hi - m - 1;
    ELSIF hi IS NULL THEN hi := lo + m + 1;
    END IF;
    step := (hi - lo) / (m + 1);
    IF step >= ${POS_GAP} THEN
      DELETE FROM transcript_segments WHERE task_id = NEW.task_id AND pos = ANY (old_pos[a + 1 : n_old - b]);
      INSERT INTO transcript_segments (task_id, user_id, pos, start_s, end_s, text)
      SELECT NEW.task_id, uid, lo + step * j,
        COALESCE((segs -> (a + j - 1) ->> 'start')::double precision, 0),
        COALESCE((segs -> (a + j - 1) ->> 'end')::double precision, 0),
        COALESCE(segs -> (a + j - 1) ->> 'text', '')
      FROM generate_series(1, m) AS j;
      RETURN NULL;
    END IF;
  END IF;
  -- A new transcript, rows out of step with the old JSON, or no room left: number every row afresh.
  -- (A new one, as a completion writes it, costs no more than its rows: one per task on the hot path.)
  IF TG_OP = 'UPDATE' THEN DELETE FROM transcript_segments WHERE task_id = NEW.task_id; END IF;
  IF n_new = 0 THEN RETURN NULL; END IF;
  INSERT INTO transcript_segments (task_id, user_id, pos, start_s, end_s, text)
  SELECT NEW.task_id, uid, s.n - 1,
    COALESCE((s.seg ->> 'start')::double precision, 0),
    COALESCE((s.seg ->> 'end')::double precision, 0),
    COALESCE(s.seg ->> 'text', '')
  FROM jsonb_array_elements(segs) WITH ORDINALITY AS s (seg, n);
  RETURN NULL;
END;
$$;
`,
};
