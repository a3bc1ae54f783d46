/**
 * Media store throughput: an N MiB file written into and read back out of the database store
 * (PostgreSQL parts) and the local disk store, in one run. Writes stream the file in as an upload's
 * spool is stored; reads drain the whole object; `materialise` is what a worker does before ffmpeg
 * runs (a copy for the database store, nothing for the local one); `rangeReadMs` is the median time
 * to the last byte of a 64 KiB range in the middle (a seek in a player). The local store's reads
 * come from the page cache right after the write, as they would on a busy server. Peak RSS of this
 * process shows memory stays flat. Prints one JSON object.
 * Usage: npx tsx bench/media-store.ts [MB=1024]   (PostgreSQL from EARSHOT_TEST_PG_URL)
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { DatabaseMediaStore, DEFAULT_PART_BYTES } from '../src/storage/database.media-store.js';
import { LocalMediaStore } from '../src/storage/local.media-store.js';
import type { MediaStore } from '../src/storage/media-store.js';
import { createStore } from '../src/store/create-store.js';
import { log } from './lib.js';

const MB = Number(process.argv[2] ?? 1024);
const PG_URL = process.env.EARSHOT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `earshot_bench_media_${randomBytes(4).toString('hex')}`;
const RANGE_BYTES = 64 * 1024;
const RANGE_READS = 20;

const dir = await mkdtemp(join(tmpdir(), 'earshot-bench-media-'));
const source = join(dir, 'source.bin');
const bytes = MB * 1024 * 1024;

/** Random bytes (incompressible, like encoded audio), written once and read by both stores. */
async function makeSource(): Promise<void> {
  let left = bytes;
  await pipeline(
    (async function* () {
      while (left > 0) {
        const n = Math.min(left, 1024 * 1024);
        left -= n;
        yield randomBytes(n);
      }
    })(),
    createWriteStream(source),
  );
}

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

const mbps = (ms: number) => Math.round((MB / (ms / 1000)) * 10) / 10;

async function measure(name: string, media: MediaStore) {
  const taskId = `bench-${name}`;
  const rssBefore = process.memoryUsage().rss;
  peakRss = rssBefore;
  log(`${name}: writing ${MB} MiB`);
  let t = performance.now();
  const { key } = await media.put(taskId, 'input.bin', createReadStream(source), { maxBytes: bytes });
  const writeMs = performance.now() - t;

  log(`${name}: reading`);
  t = performance.now();
  let read = 0;
  for await (const chunk of await media.read(key)) read += (chunk as Buffer).length;
  const readMs = performance.now() - t;
  if (read !== bytes) throw new Error(`${name}: read ${read} bytes of ${bytes}`);

  log(`${name}: materialising`);
  t = performance.now();
  await media.materialise(key, join(dir, 'work', taskId));
  const materialiseMs = performance.now() - t;

  const times: number[] = [];
  for (let i = 0; i < RANGE_READS; i++) {
    const start = Math.floor((bytes / 2 / RANGE_READS) * (i + RANGE_READS / 2));
    t = performance.now();
    for await (const _ of await media.read(key, { start, end: start + RANGE_BYTES - 1 })) {
      // drained
    }
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  await media.remove(taskId);
  return {
    writeMBps: mbps(writeMs),
    readMBps: mbps(readMs),
    materialiseMs: Math.round(materialiseMs),
    rangeReadMs: Math.round((times[Math.floor(times.length / 2)] ?? 0) * 10) / 10,
    rssGrowthMb: Math.round((peakRss - rssBefore) / 1024 / 1024),
  };
}

const store = createStore(`${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${SCHEMA}`);
try {
  await store.migrate();
  log(`writing a ${MB} MiB source file`);
  await makeSource();
  const local = await measure('local', new LocalMediaStore(dir));
  const dbStore = new DatabaseMediaStore(PG_URL, { dataDir: dir, schema: SCHEMA });
  const database = await measure('database', dbStore);
  await dbStore.close();
  clearInterval(sampler);
  process.stdout.write(
    `${JSON.stringify(
      {
        mb: MB,
        partBytes: DEFAULT_PART_BYTES,
        local,
        database,
        databaseVsLocal: {
          write: Math.round((database.writeMBps / local.writeMBps) * 100) / 100,
          read: Math.round((database.readMBps / local.readMBps) * 100) / 100,
        },
      },
      null,
      2,
    )}\n`,
  );
} finally {
  clearInterval(sampler);
  await store.close();
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await client.end();
  await rm(dir, { recursive: true, force: true });
}
