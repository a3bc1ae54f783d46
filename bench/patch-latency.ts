/**
 * Issue 14: latency of transcript edits on an hour-long transcript (10 000 words, ~700 segments).
 * 200 PATCH /v1/tasks/:id/transcript over loopback HTTP, one after another, each with the If-Match
 * of the one before (mostly replace_text, some split and merge), on SQLite and PostgreSQL, as the web
 * UI sends them: `Prefer: return=minimal` (204 and the ETag; the client applies its edit itself).
 * Then half as many again answered with the whole new revision (the API's default; `fullAnswer*`),
 * and the store's transaction alone (`storeOnly*`). Target: p95 < 50 ms. Prints one JSON object.
 * Usage: npx tsx bench/patch-latency.ts [sqlite|postgres|both=both] [edits=200]
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { buildApp } from '../src/api/app.js';
import { loadConfig } from '../src/config/config.js';
import { generateToken, hashToken } from '../src/core/token.js';
import type { Transcript } from '../src/core/transcript.js';
import { applyEdits, type EditOp } from '../src/core/transcript-edit.js';
import { canonicalTranscript } from '../src/formats/json.js';
import { createStore } from '../src/store/create-store.js';
import type { TaskStore } from '../src/store/task.store.js';
import { syntheticTranscript } from '../test/formats/synthetic-transcript.js';
import { mulberry32 } from '../test/helpers/prng.js';
import { log } from './lib.js';

const which = process.argv[2] ?? 'both';
const EDITS = Number(process.argv[3] ?? 200);
const PG_URL = process.env.EARSHOT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** 10 000 words with realistic timings; segments longer than 20 words split in two (~700 segments). */
function hourLong(): Transcript {
  const t = syntheticTranscript({ words: 10_000, seed: 14 });
  const splits: EditOp[] = [];
  // From the end, so earlier indexes stay valid.
  for (let i = t.segments.length - 1; i >= 0; i--) {
    const n = t.segments[i]?.words.length ?? 0;
    if (n > 20) splits.push({ op: 'split', segment: i, word: Math.floor(n / 2) });
  }
  let out = t;
  for (let k = 0; k < splits.length; k += 200) out = applyEdits(out, splits.slice(k, k + 200));
  return out;
}

/** The next edit: 80% replace_text (half keep the word count), 10% split, 10% merge. */
function nextOp(t: Transcript, random: () => number): EditOp {
  const pick = (n: number) => Math.floor(random() * n);
  for (;;) {
    const i = pick(t.segments.length);
    const s = t.segments[i];
    if (s === undefined) continue;
    const r = random();
    const words = s.words.length > 0 ? s.words.map((w) => w.word) : s.text.split(' ');
    if (r < 0.4) return { op: 'replace_text', segment: i, text: [...words.slice(0, -1), `fix${pick(1000)}`].join(' ') };
    if (r < 0.8) return { op: 'replace_text', segment: i, text: [...words, 'inserted', `word${pick(1000)}`].join(' ') };
    if (r < 0.9 && s.words.length >= 2) return { op: 'split', segment: i, word: 1 + pick(s.words.length - 1) };
    if (i + 1 < t.segments.length) return { op: 'merge', segment: i };
  }
}

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
const round = (ms: number) => Math.round(ms * 10) / 10;

async function run(backend: string, dbUrl: string, cleanup: () => Promise<void>) {
  const dataDir = await mkdtemp(join(tmpdir(), 'earshot-bench-patch-'));
  const store: TaskStore = createStore(dbUrl);
  await store.migrate();
  const token = generateToken();
  const user = await store.createUser('editor', 'user', hashToken(token));
  const config = loadConfig({ dataDir, host: '127.0.0.1', port: 0, workers: 0, logLevel: 'silent', db: dbUrl }, {});
  const app = buildApp({ config, store, log: pino({ level: 'silent' }), webRoot: null });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    const url = `http://127.0.0.1:${address.port}`;
    let transcript = hourLong();
    const jsonBytes = Buffer.byteLength(JSON.stringify(transcript));
    const task = await store.addFinished(
      {
        id: randomUUID(),
        userId: user.id,
        priority: 0,
        sourceName: 'hour.wav',
        mediaPath: '/nowhere',
        mediaBytes: 1,
        options: { language: 'en', formats: ['json'] },
        callbackUrl: null,
        maxAttempts: 1,
        durationSeconds: transcript.duration,
      },
      transcript,
    );
    log(`${backend}: ${transcript.segments.length} segments, ${jsonBytes} bytes of JSON; ${EDITS} PATCHes`);
    const random = mulberry32(7);
    let etag = '"r0"';
    const patches = async (count: number, minimal: boolean): Promise<number[]> => {
      const ms: number[] = [];
      for (let n = 0; n < count; n++) {
        const op = nextOp(transcript, random);
        const started = performance.now();
        const res = await fetch(`${url}/v1/tasks/${task.id}/transcript`, {
          method: 'PATCH',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'if-match': etag,
            ...(minimal ? { prefer: 'return=minimal' } : {}),
          },
          body: JSON.stringify({ operations: [op] }),
        });
        const body = await res.text();
        ms.push(performance.now() - started);
        if (res.status !== (minimal ? 204 : 200)) throw new Error(`PATCH ${n}: ${res.status} ${body.slice(0, 200)}`);
        etag = res.headers.get('etag') ?? '';
        // As the web UI does after a 204: its own edit, applied to the revision it holds.
        transcript = minimal ? canonicalTranscript(applyEdits(transcript, [op])) : (JSON.parse(body) as Transcript);
      }
      return ms;
    };
    const ms = await patches(EDITS, true);
    const full = await patches(Math.ceil(EDITS / 2), false);
    // Server-side share: the store's transaction alone (same kind of edits, no HTTP, no rendering).
    const storeMs: number[] = [];
    for (let n = 0; n < 50; n++) {
      const op = nextOp(transcript, random);
      const started = performance.now();
      const r = await store.editTranscript(
        task.id,
        { userId: user.id },
        {
          expected: null,
          userId: user.id,
          change: { kind: 'edit', operations: [op] },
        },
      );
      storeMs.push(performance.now() - started);
      if (!r.ok) throw new Error(`store edit ${n}: ${r.reason}`);
      transcript = r.transcript;
    }
    const sorted = [...ms].sort((a, b) => a - b);
    const fullSorted = [...full].sort((a, b) => a - b);
    const storeSorted = [...storeMs].sort((a, b) => a - b);
    return {
      backend,
      segments: transcript.segments.length,
      words: transcript.segments.reduce((n, s) => n + s.words.length, 0),
      jsonBytes,
      patches: ms.length,
      p50Ms: round(quantile(sorted, 0.5)),
      p95Ms: round(quantile(sorted, 0.95)),
      maxMs: round(sorted.at(-1) ?? 0),
      fullAnswerP50Ms: round(quantile(fullSorted, 0.5)),
      fullAnswerP95Ms: round(quantile(fullSorted, 0.95)),
      storeOnlyP50Ms: round(quantile(storeSorted, 0.5)),
      storeOnlyP95Ms: round(quantile(storeSorted, 0.95)),
    };
  } finally {
    await app.close();
    await store.close();
    await cleanup();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const results: unknown[] = [];
if (which === 'sqlite' || which === 'both') {
  const dir = await mkdtemp(join(tmpdir(), 'earshot-bench-patch-db-'));
  results.push(await run('sqlite', join(dir, 'earshot.db'), () => rm(dir, { recursive: true, force: true })));
}
if (which === 'postgres' || which === 'both') {
  const schema = `bench_patch_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const url = new URL(PG_URL);
  url.searchParams.set('schema', schema);
  results.push(
    await run('postgres', url.toString(), async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }),
  );
}
console.log(JSON.stringify({ bench: 'patch-latency', edits: EDITS, results }));
