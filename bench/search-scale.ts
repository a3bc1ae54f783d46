/**
 * Issue 14 at full size: transcript search over `transcripts` hour-long transcripts (default 1,000:
 * ~700 segments of ~15 words each, ~10 million words), and the cost of re-indexing an edit.
 *
 * Words are drawn from a Zipf distribution (p ∝ 1/rank) over a 20,000-word vocabulary: English
 * stop words and common words first, then seeded pseudo-words, so a common word is in a tenth of
 * the segments and a rare one in a few dozen. Transcripts go in through the store's own
 * addFinished (the triggers build the index as in production; PostgreSQL four at a time). Then, as
 * one of 10 users, 60 queries per kind (rare word, common word, two words, quoted phrase, no hit;
 * limit 20, first page) are timed, and once more as an admin over everybody's transcripts (all=true).
 * Last, an edit: `UPDATE transcripts SET json = <the whole transcript, one segment's text changed>`
 * timed under the incremental trigger and under the delete-and-reinsert trigger it replaced.
 * Prints one JSON object: load time, p50/p95 per kind, index sizes against the transcripts', edit times.
 * Usage: npx tsx bench/search-scale.ts [transcripts=1000] [backends=sqlite,postgres]
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Segment, Transcript } from '../src/core/transcript.js';
import { createStore } from '../src/store/create-store.js';
import type { Scope, TaskStore } from '../src/store/task.store.js';
import { mulberry32 } from '../test/helpers/prng.js';
import { log } from './lib.js';

const PG_URL = process.env.EARSHOT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const transcripts = Number(process.argv[2] ?? 1000);
const backends = (process.argv[3] ?? 'sqlite,postgres').split(',');
const USERS = 10;
const SEGMENTS = 700;
const QUERIES_PER_KIND = 60;
const EDITS = 20;
const VOCAB_SIZE = 20_000;

const STOP =
  'the of and to a in that it is was i for on you he be with as by at have are this not but had his they from she'.split(
    ' ',
  );
const COMMON = (
  'time people year way day man thing woman life child world school state family student group country ' +
  'problem hand part place case week company system program question work government number night point ' +
  'home water room mother area money story fact month lot right study book eye job word business issue ' +
  'side kind head house service friend father power hour game line end member law car city community name ' +
  'president team minute idea kid body information back parent face others level office door health person ' +
  'art war history party result change morning reason research girl guy moment air teacher force education'
).split(' ');
const SYLLABLES = 'ka lo ren ti mu sa vel dor pi nak quo bri sel tam gu fen zor lia mev ost'.split(' ');

/** Rank order: stop words, common words, then pseudo-words of 3-4 syllables (distinct by construction). */
const VOCAB: string[] = [...STOP, ...COMMON];
for (let i = 0; VOCAB.length < VOCAB_SIZE; i++) {
  const s = (k: number) => SYLLABLES[Math.floor(i / SYLLABLES.length ** k) % SYLLABLES.length];
  VOCAB.push(`${s(0)}${s(1)}${s(2)}${i >= SYLLABLES.length ** 3 ? s(3) : 'x'}`);
}
/** Cumulative Zipf weights for sampling by binary search. */
const CDF: number[] = [];
{
  let sum = 0;
  for (let r = 1; r <= VOCAB_SIZE; r++) {
    sum += 1 / r;
    CDF.push(sum);
  }
  for (let i = 0; i < CDF.length; i++) CDF[i] = (CDF[i] as number) / sum;
}
function zipfWord(u: number): string {
  let lo = 0;
  let hi = CDF.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((CDF[mid] as number) < u) lo = mid + 1;
    else hi = mid;
  }
  return VOCAB[lo] as string;
}

function generate(seed: number): Transcript {
  const rand = mulberry32(seed);
  const segments: Segment[] = [];
  const step = 3600 / SEGMENTS;
  for (let i = 0; i < SEGMENTS; i++) {
    const n = 8 + Math.floor(rand() * 15); // 8..22 words, 15 on average
    const text = Array.from({ length: n }, () => zipfWord(rand())).join(' ');
    segments.push({ start: i * step, end: (i + 1) * step - 0.2, text, words: [] });
  }
  return { language: 'en', duration: 3600, segments, text: segments.map((s) => s.text).join(' ') };
}

const ms = (t0: number) => performance.now() - t0;
const round = (n: number) => Math.round(n * 100) / 100;
function percentile(sorted: number[], p: number): number {
  return round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0);
}

async function load(store: TaskStore, parallel: number) {
  const started = performance.now();
  const ids: string[] = [];
  const phrases: string[] = [];
  let jsonBytes = 0;
  let words = 0;
  let next = 0;
  const one = async () => {
    for (let i = next++; i < transcripts; i = next++) {
      const t = generate(i + 1);
      jsonBytes += Buffer.byteLength(JSON.stringify(t));
      words += t.segments.reduce((n, s) => n + s.text.split(' ').length, 0);
      if (i % USERS === 0) {
        const w = t.segments[Math.floor(t.segments.length / 2)]?.text.split(' ') ?? [];
        phrases.push(`"${w[2]} ${w[3]}"`);
      }
      const id = randomUUID();
      ids[i] = id;
      await store.addFinished(
        {
          id,
          userId: `user${i % USERS}`,
          priority: 0,
          sourceName: `talk-${i}.wav`,
          mediaPath: '/bench',
          mediaBytes: 1,
          options: { language: 'en', formats: ['json'] },
          callbackUrl: null,
          maxAttempts: 1,
          durationSeconds: t.duration,
        },
        t,
      );
      if ((i + 1) % 100 === 0) log(`loaded ${i + 1}/${transcripts}`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, one));
  return { loadSeconds: round(ms(started) / 1000), ids, phrases, jsonBytes, words };
}

async function latencies(store: TaskStore, phrases: string[], scope: Scope) {
  const rand = mulberry32(7);
  const content = STOP.length; // first non-stop word
  const pick = (from: number, to: number) => VOCAB[from + Math.floor(rand() * (to - from))] as string;
  const kinds: Record<string, () => string> = {
    rare_word: () => pick(5000, VOCAB_SIZE),
    common_word: () => pick(content, content + 10),
    two_words: () => `${pick(content, content + 50)} ${pick(content + 50, 1000)}`,
    phrase: () => phrases[Math.floor(rand() * phrases.length)] ?? '"a b"',
    no_hit: () => `zyxw${Math.floor(rand() * 1e6)}`,
  };
  const out: Record<string, { p50_ms: number; p95_ms: number; max_ms: number; mean_hits: number }> = {};
  const all: number[] = [];
  for (const [kind, next] of Object.entries(kinds)) {
    const times: number[] = [];
    let hits = 0;
    for (let i = 0; i < QUERIES_PER_KIND; i++) {
      const q = next();
      const t0 = performance.now();
      hits += (await store.searchTranscripts(scope, q, { limit: 21, offset: 0 })).length;
      times.push(ms(t0));
    }
    all.push(...times);
    times.sort((a, b) => a - b);
    out[kind] = {
      p50_ms: percentile(times, 0.5),
      p95_ms: percentile(times, 0.95),
      max_ms: round(times.at(-1) ?? 0),
      mean_hits: round(hits / QUERIES_PER_KIND),
    };
  }
  all.sort((a, b) => a - b);
  return { all: { p50_ms: percentile(all, 0.5), p95_ms: percentile(all, 0.95) }, ...out };
}

/** The transcript of bench task `i` with segment `seg`'s text replaced (an edit of one segment). */
function edited(i: number, round: number): string {
  const t = generate(i + 1);
  const seg = t.segments[(i * 37 + round) % SEGMENTS] as Segment;
  seg.text = `${seg.text} corrected${round}`;
  return JSON.stringify(t);
}

async function timeEdits(update: (id: string, json: string) => Promise<void>, ids: string[], round: number) {
  const times: number[] = [];
  for (let k = 0; k < EDITS; k++) {
    const i = (k * 97) % ids.length;
    const json = edited(i, round);
    const t0 = performance.now();
    await update(ids[i] as string, json);
    times.push(ms(t0));
  }
  times.sort((a, b) => a - b);
  return { p50_ms: percentile(times, 0.5), p95_ms: percentile(times, 0.95) };
}

/** The SQLite trigger of migration 6: every write of the JSON deletes and re-inserts all segment rows. */
const SQLITE_OLD_TRIGGER = `
DROP TRIGGER transcripts_search_update;
CREATE TRIGGER transcripts_search_update AFTER UPDATE OF json ON transcripts BEGIN
  DELETE FROM transcript_segments WHERE task_id = NEW.task_id;
  INSERT INTO transcript_segments (task_id, user_id, idx, start_s, end_s, text)
  SELECT NEW.task_id, (SELECT user_id FROM tasks WHERE id = NEW.task_id), CAST(s.key AS INTEGER),
    COALESCE(CAST(json_extract(s.value, '$.start') AS REAL), 0),
    COALESCE(CAST(json_extract(s.value, '$.end') AS REAL), 0),
    COALESCE(CAST(json_extract(s.value, '$.text') AS TEXT), '')
  FROM json_each(NEW.json, '$.segments') s;
END;`;

async function runSqlite() {
  const dir = await mkdtemp(join(tmpdir(), 'earshot-bench-search-scale-'));
  const file = join(dir, 'earshot.db');
  const store = createStore(file);
  try {
    await store.migrate();
    const loaded = await load(store, 1);
    const t0 = performance.now();
    await store.close();
    const db = new Database(file);
    db.exec('PRAGMA optimize; ANALYZE;');
    db.close();
    const analyzeSeconds = round(ms(t0) / 1000);
    const reopened = createStore(file);
    const user = await latencies(reopened, loaded.phrases, { userId: 'user0' });
    const admin = await latencies(reopened, loaded.phrases, { admin: true });
    await reopened.close();

    const raw = new Database(file);
    const size = (...names: string[]) =>
      Number(
        raw
          .prepare(`SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN (${names.map(() => '?').join(',')})`)
          .pluck()
          .get(...names),
      );
    const indexNames = raw
      .prepare(
        "SELECT name FROM sqlite_schema WHERE name LIKE 'transcript_segments%' OR tbl_name LIKE 'transcript_segments%'",
      )
      .pluck()
      .all() as string[];
    const sizes = {
      transcriptsBytes: size('transcripts', 'sqlite_autoindex_transcripts_1'),
      segmentsTableBytes: size('transcript_segments', 'sqlite_autoindex_transcript_segments_1'),
      ftsBytes: size(...indexNames.filter((n) => n.startsWith('transcript_segments_fts'))),
      indexTotalBytes: size(...indexNames),
    };
    const update = raw.prepare('UPDATE transcripts SET json = ? WHERE task_id = ?');
    const upd = async (id: string, json: string) => void update.run(json, id);
    const editIncremental = await timeEdits(upd, loaded.ids, 1);
    raw.exec(SQLITE_OLD_TRIGGER);
    const editDeleteReinsert = await timeEdits(upd, loaded.ids, 2);
    raw.close();
    return {
      backend: 'sqlite',
      ...summary(loaded),
      analyzeSeconds,
      user,
      admin,
      sizes: withRatios(sizes, loaded.jsonBytes),
      edit: { incremental: editIncremental, deleteReinsert: editDeleteReinsert },
    };
  } finally {
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/** The PostgreSQL trigger function of migration 8 (plus user_id; pos since 13): delete and re-insert every segment row. */
const pgOldTrigger = (schema: string) => `
CREATE OR REPLACE FUNCTION "${schema}".transcript_search_index() RETURNS trigger LANGUAGE plpgsql
SET search_path = "${schema}" AS $$
BEGIN
  DELETE FROM transcript_segments WHERE task_id = NEW.task_id;
  INSERT INTO transcript_segments (task_id, user_id, pos, start_s, end_s, text)
  SELECT NEW.task_id, (SELECT user_id FROM tasks WHERE id = NEW.task_id), s.n - 1,
    COALESCE((s.seg ->> 'start')::double precision, 0),
    COALESCE((s.seg ->> 'end')::double precision, 0),
    COALESCE(s.seg ->> 'text', '')
  FROM jsonb_array_elements(NEW.json -> 'segments') WITH ORDINALITY AS s (seg, n);
  RETURN NULL;
END;
$$;`;

async function runPostgres() {
  const schema = `bench_search_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const store = createStore(PG_URL, { schema });
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await store.migrate();
    const loaded = await load(store, 4);
    const t0 = performance.now();
    await client.query(`VACUUM ANALYZE "${schema}".transcript_segments`);
    await client.query(`VACUUM ANALYZE "${schema}".tasks`);
    const analyzeSeconds = round(ms(t0) / 1000);
    const user = await latencies(store, loaded.phrases, { userId: 'user0' });
    const admin = await latencies(store, loaded.phrases, { admin: true });
    const one = async (sql: string) => Number((await client.query(sql)).rows[0].n);
    const rel = (fn: string, name: string) => one(`SELECT ${fn}('"${schema}".${name}') AS n`);
    const sizes = {
      transcriptsBytes: await rel('pg_total_relation_size', 'transcripts'),
      segmentsTableBytes: await rel('pg_table_size', 'transcript_segments'),
      ginBytes: await rel('pg_relation_size', 'transcript_segments_tsv_idx'),
      indexTotalBytes: await rel('pg_total_relation_size', 'transcript_segments'),
    };
    const upd = async (id: string, json: string) =>
      void (await client.query(`UPDATE "${schema}".transcripts SET json = $1 WHERE task_id = $2`, [json, id]));
    const editIncremental = await timeEdits(upd, loaded.ids, 1);
    await client.query(pgOldTrigger(schema));
    const editDeleteReinsert = await timeEdits(upd, loaded.ids, 2);
    return {
      backend: 'postgres',
      ...summary(loaded),
      analyzeSeconds,
      user,
      admin,
      sizes: withRatios(sizes, loaded.jsonBytes),
      edit: { incremental: editIncremental, deleteReinsert: editDeleteReinsert },
    };
  } finally {
    await store.close();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

function summary(l: Awaited<ReturnType<typeof load>>) {
  return { loadSeconds: l.loadSeconds, words: l.words, segments: transcripts * SEGMENTS, jsonBytes: l.jsonBytes };
}

/** Each size, and the index's against the JSON as written and as the store keeps it (PostgreSQL compresses it). */
function withRatios<T extends { transcriptsBytes: number; indexTotalBytes: number }>(s: T, jsonBytes: number) {
  return {
    ...s,
    indexToJson: round(s.indexTotalBytes / jsonBytes),
    indexToStoredTranscripts: round(s.indexTotalBytes / Math.max(1, s.transcriptsBytes)),
  };
}

const results = [];
for (const b of backends) {
  log(`${b}: ${transcripts} transcripts x ${SEGMENTS} segments`);
  results.push(b === 'postgres' ? await runPostgres() : await runSqlite());
}
process.stdout.write(
  `${JSON.stringify({ bench: 'search-scale', transcripts, segmentsEach: SEGMENTS, users: USERS, vocabulary: VOCAB_SIZE, queriesPerKind: QUERIES_PER_KIND, limit: 21, results }, null, 2)}\n`,
);
