import type { Migration } from '../../migration.js';

/** Closest two search-row positions may be; closer, and the task's rows are numbered afresh. */
const POS_GAP = '1e-6';

/** A segments array's word count (the word array's length, else the text's words), as one SELECT. */
export const SEGMENTS_WORD_COUNT_SQL = `SELECT COALESCE(SUM(CASE
      WHEN jsonb_typeof(s.seg -> 'words') = 'array' AND jsonb_array_length(s.seg -> 'words') > 0
        THEN jsonb_array_length(s.seg -> 'words')
      ELSE COALESCE(array_length(regexp_split_to_array(
        NULLIF(regexp_replace(COALESCE(s.seg ->> 'text', ''), '^\\s+|\\s+$', '', 'g'), ''), '\\s+'), 1), 0)
    END), 0)::integer
  FROM jsonb_array_elements(CASE WHEN jsonb_typeof(segs) = 'array' THEN segs ELSE '[]'::jsonb END) AS s (seg)`;

/**
 * What an edit of an hour-long transcript costs PostgreSQL (issue 14: PATCH p95 < 50 ms). Measured
 * on a split of a 0.8 MB, 719-segment transcript (docs/benchmarks.md), three costs grew with the
 * document, not with the edit:
 *
 * 1. Search rows were keyed by segment index, so a split or merge shifted every later segment and
 *    the trigger rewrote all of them (each a new tuple, tsvector and GIN entries: 9–25 ms). Rows are
 *    now keyed by `pos`, a number that only orders a task's rows, and a change rewrites only the run
 *    of segments it replaced (transcript_segments_splice), new rows taking positions spread between
 *    their neighbours'. When repeated splits at one place leave no room (positions closer than
 *    POS_GAP), the task's rows are numbered afresh, once. A hit's segment index is counted at search
 *    time (rows of its task ordered before it: an index range). An edit knows the run it replaced and
 *    splices itself; the trigger, which must find the run by comparing the old and new JSON, now
 *    runs only for writes that keep the revision.
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
  ${SEGMENTS_WORD_COUNT_SQL}
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

-- Rows for segments run (a jsonb array of {start, end, text}) replacing \`removed\` rows from the
-- at-th (0-based, in position order). False, changing nothing, when the rows are not as the caller
-- thinks or no room is left between the neighbours: the caller then rebuilds.
CREATE OR REPLACE FUNCTION transcript_segments_splice(task text, at integer, removed integer, run jsonb)
  RETURNS boolean LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  old_pos double precision[];
  n_old integer;
  m integer := jsonb_array_length(run);
  lo double precision;
  hi double precision;
  step double precision;
BEGIN
  SELECT COALESCE(array_agg(pos ORDER BY pos), '{}') INTO old_pos FROM transcript_segments WHERE task_id = task;
  n_old := cardinality(old_pos);
  IF at < 0 OR removed < 0 OR at + removed > n_old THEN RETURN false; END IF;
  IF m = removed THEN
    -- As many as before: rows keep their positions; only those whose times or text changed are written.
    UPDATE transcript_segments cur SET start_s = x.start_s, end_s = x.end_s, text = x.text
    FROM (SELECT old_pos[at + j] AS pos,
            COALESCE((run -> (j - 1) ->> 'start')::double precision, 0) AS start_s,
            COALESCE((run -> (j - 1) ->> 'end')::double precision, 0) AS end_s,
            COALESCE(run -> (j - 1) ->> 'text', '') AS text
          FROM generate_series(1, m) AS j) x
    WHERE cur.task_id = task AND cur.pos = x.pos
      AND (cur.start_s, cur.end_s, cur.text) IS DISTINCT FROM (x.start_s, x.end_s, x.text);
    RETURN true;
  END IF;
  lo := CASE WHEN at > 0 THEN old_pos[at] END;
  hi := CASE WHEN at + removed < n_old THEN old_pos[at + removed + 1] END;
  IF lo IS NULL AND hi IS NULL THEN lo := -1; hi := m;
  ELSIF lo IS NULL THEN lo := hi - m - 1;
  ELSIF hi IS NULL THEN hi := lo + m + 1;
  END IF;
  step := (hi - lo) / (m + 1);
  IF step < ${POS_GAP} THEN RETURN false; END IF;
  DELETE FROM transcript_segments WHERE task_id = task AND pos = ANY (old_pos[at + 1 : at + removed]);
  INSERT INTO transcript_segments (task_id, user_id, pos, start_s, end_s, text)
  SELECT task, t.user_id, lo + step * j,
    COALESCE((run -> (j - 1) ->> 'start')::double precision, 0),
    COALESCE((run -> (j - 1) ->> 'end')::double precision, 0),
    COALESCE(run -> (j - 1) ->> 'text', '')
  FROM tasks t, generate_series(1, m) AS j WHERE t.id = task;
  RETURN true;
END;
$$;

-- Every row of a task afresh, numbered 0, 1, …, from its segments array (not an array: none).
CREATE OR REPLACE FUNCTION transcript_segments_rebuild(task text, segs jsonb)
  RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  DELETE FROM transcript_segments WHERE task_id = task;
  IF jsonb_typeof(segs) IS DISTINCT FROM 'array' THEN RETURN; END IF;
  INSERT INTO transcript_segments (task_id, user_id, pos, start_s, end_s, text)
  SELECT task, t.user_id, s.n - 1,
    COALESCE((s.seg ->> 'start')::double precision, 0),
    COALESCE((s.seg ->> 'end')::double precision, 0),
    COALESCE(s.seg ->> 'text', '')
  FROM tasks t, jsonb_array_elements(segs) WITH ORDINALITY AS s (seg, n) WHERE t.id = task;
END;
$$;

-- Writes that keep the revision (a completion, also one run again over an existing transcript):
-- find the run of segments that differs between the old and new JSON and splice it. An edit or a
-- revert moves to a new revision and splices the rows itself, knowing what it changed (see
-- postgres.revisions.ts): comparing ~700 segments of two ~1 MB documents is most of what a trigger
-- costs an edit.
CREATE OR REPLACE FUNCTION transcript_search_index() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  segs jsonb := NEW.json -> 'segments';
  before jsonb := CASE WHEN TG_OP = 'UPDATE' THEN OLD.json -> 'segments' END;
  n_new integer;
  n_old integer;
  a integer; -- segments equal at the start
  b integer; -- segments equal at the end (not overlapping a)
BEGIN
  IF jsonb_typeof(segs) IS DISTINCT FROM 'array' THEN segs := '[]'; END IF;
  IF TG_OP = 'INSERT' THEN
    -- A new transcript (what a completion writes): no rows yet.
    IF jsonb_array_length(segs) > 0 THEN PERFORM transcript_segments_rebuild(NEW.task_id, segs); END IF;
    RETURN NULL;
  END IF;
  IF jsonb_typeof(before) IS DISTINCT FROM 'array' THEN before := '[]'; END IF;
  n_new := jsonb_array_length(segs);
  n_old := jsonb_array_length(before);
  IF (SELECT count(*) FROM transcript_segments WHERE task_id = NEW.task_id) <> n_old THEN
    PERFORM transcript_segments_rebuild(NEW.task_id, segs); -- rows out of step with the old JSON
    RETURN NULL;
  END IF;
  SELECT COALESCE(min(s.n) - 1, least(n_new, n_old)) INTO a
  FROM jsonb_array_elements(segs) WITH ORDINALITY AS s (seg, n)
  WHERE s.n <= n_old AND s.seg IS DISTINCT FROM before -> (s.n - 1)::integer;
  SELECT COALESCE(min(k) - 1, least(n_new, n_old) - a) INTO b
  FROM generate_series(1, least(n_new, n_old) - a) AS k
  WHERE segs -> (n_new - k) IS DISTINCT FROM before -> (n_old - k);
  IF NOT transcript_segments_splice(NEW.task_id, a, n_old - a - b,
    (SELECT COALESCE(jsonb_agg(segs -> k ORDER BY k), '[]') FROM generate_series(a, n_new - b - 1) AS k)) THEN
    PERFORM transcript_segments_rebuild(NEW.task_id, segs);
  END IF;
  RETURN NULL;
END;
$$;

DROP TRIGGER transcripts_search_index ON transcripts;
CREATE TRIGGER transcripts_search_index AFTER INSERT ON transcripts
FOR EACH ROW EXECUTE FUNCTION transcript_search_index();
CREATE TRIGGER transcripts_search_reindex AFTER UPDATE OF json ON transcripts
FOR EACH ROW WHEN (NEW.revision IS NOT DISTINCT FROM OLD.revision) EXECUTE FUNCTION transcript_search_index();
`,
};
