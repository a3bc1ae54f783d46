/**
 * Issue 14 (library): the task list with filters and sorts, on a user with `tasks` tasks (plus a fifth
 * as many of other users, so scoping matters). 70% are finished (addFinished: a short transcript, so
 * the word-count trigger runs as in production), the rest queued; 30% have a title; creation times are
 * spread over a year; a tenth of the names contain "meeting". Times `list` as that user, `runs` times
 * per scenario (limit 50). Prints JSON per backend: load time, p50/p95 per scenario, and the plan's
 * top line for the q + title sort scenario.
 * Usage: npx tsx bench/library-list.ts [tasks=10000] [runs=100] [backends=sqlite,postgres]
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Segment } from '../src/core/transcript.js';
import { createStore } from '../src/store/create-store.js';
import type { ListFilter, NewTask, TaskStore } from '../src/store/task.store.js';
import { mulberry32 } from '../test/helpers/prng.js';
import { log } from './lib.js';

const PG_URL = process.env.EARSHOT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const [tasks = 10_000, runs = 100] = process.argv.slice(2, 4).map(Number);
const backends = (process.argv[4] ?? 'sqlite,postgres').split(',');
const YEAR_MS = 365 * 86_400_000;
const START = Date.UTC(2025, 11, 1);
const ME = { userId: 'user0' };

const WORDS = 'alpha budget planning review quarterly meeting design sync interview lecture notes call'.split(' ');

/** The scenarios: the list as the UI asks for it. */
const SCENARIOS: Record<string, Omit<ListFilter, 'limit'>> = {
  default_newest: { offset: 0 },
  q_common_sort_title: { offset: 0, q: 'meeting', sort: 'title', order: 'asc' },
  q_rare_sort_words: { offset: 0, q: 'task-4242', sort: 'words', order: 'desc' },
  q_month_sort_duration: {
    offset: 0,
    q: 'review',
    createdFrom: START + YEAR_MS / 2,
    createdBefore: START + YEAR_MS / 2 + 30 * 86_400_000,
    sort: 'duration',
    order: 'desc',
  },
  status_sort_status: { offset: 0, status: 'succeeded', sort: 'status', order: 'asc' },
  sort_title_deep_page: { offset: 5000, sort: 'title', order: 'asc' },
};

async function load(store: TaskStore, clock: { t: number }): Promise<number> {
  const started = performance.now();
  const rand = mulberry32(42);
  const total = Math.round(tasks * 1.2);
  for (let i = 0; i < total; i++) {
    const mine = i % 6 !== 5;
    const words = Array.from({ length: 3 }, () => WORDS[Math.floor(rand() * WORDS.length)] ?? 'x');
    const name = i % 10 === 0 ? `meeting-${i}` : `${words.join('-')}-task-${i}`;
    clock.t = START + Math.floor((i / total) * YEAR_MS);
    const task: NewTask = {
      id: randomUUID(),
      userId: mine ? 'user0' : `user${1 + (i % 5)}`,
      priority: 0,
      sourceName: `${name}.wav`,
      mediaPath: '/bench',
      mediaBytes: 1,
      options: { language: 'en', formats: ['json'] },
      callbackUrl: null,
      maxAttempts: 1,
      durationSeconds: Math.round(rand() * 3600),
    };
    if (rand() < 0.7) {
      const n = 1 + Math.floor(rand() * 40);
      const segments: Segment[] = [{ start: 0, end: n, text: Array(n).fill('word').join(' '), words: [] }];
      await store.addFinished(task, { language: 'en', duration: task.durationSeconds ?? 1, segments, text: '' });
    } else {
      await store.enqueue(task, Number.POSITIVE_INFINITY);
    }
    if (rand() < 0.3) await store.setTitle(task.id, { admin: true }, `${words[0]} ${words[1]} ${i}`.toUpperCase());
    if ((i + 1) % 2000 === 0) log(`loaded ${i + 1}/${total}`);
  }
  return Math.round((performance.now() - started) / 100) / 10;
}

function percentile(sorted: number[], p: number): number {
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0) * 100) / 100;
}

async function latencies(store: TaskStore) {
  const out: Record<string, { p50_ms: number; p95_ms: number; total: number }> = {};
  for (const [name, filter] of Object.entries(SCENARIOS)) {
    const times: number[] = [];
    let total = 0;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      total = (await store.list(ME, { limit: 50, ...filter })).total;
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    out[name] = { p50_ms: percentile(times, 0.5), p95_ms: percentile(times, 0.95), total };
  }
  return out;
}

const PLAN_SQL =
  "FROM tasks WHERE user_id = 'user0' AND (lower(title) LIKE '%meeting%' OR lower(source_name) LIKE '%meeting%') " +
  'ORDER BY lower(COALESCE(title, source_name)), id LIMIT 50';

async function runSqlite() {
  const dir = await mkdtemp(join(tmpdir(), 'earshot-bench-library-'));
  const file = join(dir, 'earshot.db');
  const clock = { t: START };
  const store = createStore(file, { now: () => clock.t });
  try {
    await store.migrate();
    const loadSeconds = await load(store, clock);
    const queries = await latencies(store);
    await store.close();
    const db = new Database(file, { readonly: true });
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN SELECT * ${PLAN_SQL}`)
      .all()
      .map((r) => (r as { detail: string }).detail);
    db.close();
    return { backend: 'sqlite', loadSeconds, queries, plan };
  } finally {
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

async function runPostgres() {
  const schema = `bench_library_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const clock = { t: START };
  const store = createStore(PG_URL, { schema, now: () => clock.t });
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await store.migrate();
    const loadSeconds = await load(store, clock);
    await client.query(`VACUUM ANALYZE "${schema}".tasks`);
    const queries = await latencies(store);
    await client.query(`SET search_path TO "${schema}"`);
    const plan = (await client.query(`EXPLAIN SELECT * ${PLAN_SQL}`)).rows.map((r) => r['QUERY PLAN'] as string);
    return { backend: 'postgres', loadSeconds, queries, plan };
  } finally {
    await store.close();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

const results = [];
for (const b of backends) {
  log(`${b}: ${tasks} tasks of one user (+${Math.round(tasks * 0.2)} of others)`);
  results.push(b === 'postgres' ? await runPostgres() : await runSqlite());
}
process.stdout.write(`${JSON.stringify({ tasks, runs, limit: 50, results }, null, 2)}\n`);
