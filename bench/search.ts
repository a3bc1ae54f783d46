/**
 * Issue 14: transcript search latency and index size. Generates `transcripts` transcripts of
 * `minutesEach` minutes (~150 words a minute, one segment per ~10 s, words drawn from a fixed list
 * with a skewed, seeded distribution so some words are common and some rare), stores them through
 * the store's own addFinished (so the triggers build the index as in production), then times
 * searches as one of 10 users: a common word, a rare word, two words, and a two-word phrase taken
 * from a generated segment. Prints JSON per backend: load time, p50/p95 per query kind, and the index
 * size against the stored transcripts' size.
 * Usage: npx tsx bench/search.ts [transcripts=1000] [minutesEach=60] [backends=sqlite,postgres]
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Segment, Transcript } from '../src/core/transcript.js';
import { createStore } from '../src/store/create-store.js';
import type { TaskStore } from '../src/store/task.store.js';
import { mulberry32 } from '../test/helpers/prng.js';
import { log } from './lib.js';

const PG_URL = process.env.EARSHOT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const [transcripts = 1000, minutesEach = 60] = process.argv.slice(2, 4).map(Number);
const backends = (process.argv[4] ?? 'sqlite,postgres').split(',');
const USERS = 10;
const WORDS_PER_MINUTE = 150;
const SEGMENT_SECONDS = 10;
const QUERIES_PER_KIND = 100;

/** A fixed vocabulary: drawn with a skew (index ~ u^3), so the first words are common, the last rare. */
const VOCAB = (
  'time people year way day man thing woman life child world school state family student group country ' +
  'problem hand part place case week company system program question work government number night point ' +
  'home water room mother area money story fact month lot right study book eye job word business issue ' +
  'side kind head house service friend father power hour game line end member law car city community name ' +
  'president team minute idea kid body information back parent face others level office door health person ' +
  'art war history party result change morning reason research girl guy moment air teacher force education ' +
  'foot boy age policy process music market sense nation plan college interest death experience effect use ' +
  'class control care field development role effort rate heart drug show leader light voice wife police mind ' +
  'price report decision son view relationship town road arm difference value building action model season ' +
  'society tax director position player record paper space ground form event official matter center couple ' +
  'site project activity star table need court oil situation cost industry figure street image phone data ' +
  'picture practice piece land product doctor wall patient worker news test movie north love support ' +
  'technology step baby computer type attention film tree source organization hair window evidence ' +
  'population site lighthouse harbour walrus giraffe telescope avalanche saxophone volcano origami quasar'
).split(' ');

function generate(seed: number): Transcript {
  const rand = mulberry32(seed);
  const word = () => VOCAB[Math.floor(rand() ** 3 * VOCAB.length)] ?? 'word';
  const segments: Segment[] = [];
  const perSegment = Math.round((WORDS_PER_MINUTE * SEGMENT_SECONDS) / 60);
  for (let start = 0; start < minutesEach * 60; start += SEGMENT_SECONDS) {
    const text = Array.from({ length: perSegment }, word).join(' ');
    segments.push({ start, end: start + SEGMENT_SECONDS - 0.5, text, words: [] });
  }
  return { language: 'en', duration: minutesEach * 60, segments, text: segments.map((s) => s.text).join(' ') };
}

function percentile(sorted: number[], p: number): number {
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0) * 100) / 100;
}

async function load(store: TaskStore): Promise<{ loadSeconds: number; phrases: string[]; jsonBytes: number }> {
  const started = performance.now();
  const phrases: string[] = [];
  let jsonBytes = 0;
  for (let i = 0; i < transcripts; i++) {
    const t = generate(i + 1);
    jsonBytes += Buffer.byteLength(JSON.stringify(t));
    const words = t.segments[Math.floor(t.segments.length / 2)]?.text.split(' ') ?? [];
    if (i % USERS === 0) phrases.push(`"${words[3]} ${words[4]}"`);
    await store.addFinished(
      {
        id: randomUUID(),
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
  return { loadSeconds: Math.round((performance.now() - started) / 100) / 10, phrases, jsonBytes };
}

async function latencies(store: TaskStore, phrases: string[]) {
  const rand = mulberry32(7);
  const pick = (from: number, to: number) => VOCAB[from + Math.floor(rand() * (to - from))] ?? 'word';
  const kinds: Record<string, () => string> = {
    common_word: () => pick(0, 10),
    rare_word: () => pick(VOCAB.length - 10, VOCAB.length),
    two_words: () => `${pick(0, 60)} ${pick(60, 200)}`,
    phrase: () => phrases[Math.floor(rand() * phrases.length)] ?? '"a b"',
  };
  const out: Record<string, { p50_ms: number; p95_ms: number; mean_hits: number }> = {};
  for (const [kind, next] of Object.entries(kinds)) {
    const times: number[] = [];
    let hits = 0;
    for (let i = 0; i < QUERIES_PER_KIND; i++) {
      const q = next();
      const t0 = performance.now();
      hits += (await store.searchTranscripts({ userId: 'user0' }, q, { limit: 20, offset: 0 })).length;
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    out[kind] = { p50_ms: percentile(times, 0.5), p95_ms: percentile(times, 0.95), mean_hits: hits / QUERIES_PER_KIND };
  }
  return out;
}

async function runSqlite() {
  const dir = await mkdtemp(join(tmpdir(), 'earshot-bench-search-'));
  const file = join(dir, 'earshot.db');
  const store = createStore(file);
  try {
    await store.migrate();
    const { loadSeconds, phrases, jsonBytes } = await load(store);
    const queries = await latencies(store, phrases);
    await store.close();
    const db = new Database(file, { readonly: true });
    const size = (like: string) =>
      Number(db.prepare('SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE ?').pluck().get(like));
    const transcriptBytes = size('transcripts') + size('sqlite_autoindex_transcripts%');
    const indexBytes = size('transcript_segments%');
    db.close();
    return {
      backend: 'sqlite',
      loadSeconds,
      queries,
      ...sizes(jsonBytes, transcriptBytes, indexBytes),
    };
  } finally {
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

async function runPostgres() {
  const schema = `bench_search_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const store = createStore(PG_URL, { schema });
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await store.migrate();
    const { loadSeconds, phrases, jsonBytes } = await load(store);
    await client.query(`VACUUM ANALYZE "${schema}".transcript_segments`);
    const queries = await latencies(store, phrases);
    const size = async (table: string) =>
      Number((await client.query(`SELECT pg_total_relation_size('"${schema}".${table}') AS n`)).rows[0].n);
    const transcriptBytes = await size('transcripts');
    const indexBytes = await size('transcript_segments');
    return {
      backend: 'postgres',
      loadSeconds,
      queries,
      ...sizes(jsonBytes, transcriptBytes, indexBytes),
    };
  } finally {
    await store.close();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

const ratio = (a: number, b: number) => Math.round((a / Math.max(1, b)) * 100) / 100;

/** The index against the transcripts' JSON as written, and as the store keeps it (PostgreSQL compresses it). */
function sizes(jsonBytes: number, transcriptBytes: number, indexBytes: number) {
  return {
    jsonBytes,
    transcriptBytes,
    indexBytes,
    indexToJson: ratio(indexBytes, jsonBytes),
    indexToStoredTranscripts: ratio(indexBytes, transcriptBytes),
  };
}

const results = [];
for (const b of backends) {
  log(`${b}: ${transcripts} transcripts x ${minutesEach} min`);
  results.push(b === 'postgres' ? await runPostgres() : await runSqlite());
}
process.stdout.write(
  `${JSON.stringify({ transcripts, minutesEach, wordsPerMinute: WORDS_PER_MINUTE, segmentSeconds: SEGMENT_SECONDS, users: USERS, results }, null, 2)}\n`,
);
