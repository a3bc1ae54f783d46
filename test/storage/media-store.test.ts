import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError, MediaMissingError } from '../../src/core/errors/index.js';
import { mediaDir } from '../../src/services/media-files.js';
import { createMediaStore } from '../../src/storage/create-media-store.js';
import { DatabaseMediaStore } from '../../src/storage/database.media-store.js';
import { LocalMediaStore } from '../../src/storage/local.media-store.js';
import { createStore } from '../../src/store/create-store.js';
import type { TaskStore } from '../../src/store/task.store.js';
import { freshPgSchema, TEST_PG_URL, type TestSchema } from '../helpers/pg.js';
import { bytesOf, mediaStoreConformance } from './media-store.conformance.js';

/** Small parts, so every test crosses many part boundaries without moving megabytes. */
const PART_BYTES = 1000;

let dataDir: string;
let schema: TestSchema;
let taskStore: TaskStore;
let db: pg.Pool;
const stores: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'earshot-media-'));
  schema = await freshPgSchema('earshot_media');
  taskStore = createStore(schema.url);
  await taskStore.migrate();
  db = new pg.Pool({ connectionString: TEST_PG_URL, max: 2 });
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await taskStore?.close();
  await db?.end();
  await schema?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

function kept<T extends { close(): Promise<void> }>(store: T): T {
  stores.push(store);
  return store;
}

const localFiles = async (taskId: string) =>
  (await readdir(mediaDir(dataDir, taskId)).catch(() => [] as string[])).length;

const dbObjects = async (taskId: string) => {
  const r = await db.query(`SELECT count(*)::int AS n FROM "${schema.schema}".media_objects WHERE task_id = $1`, [
    taskId,
  ]);
  return r.rows[0].n as number;
};

const database = () =>
  kept(new DatabaseMediaStore(TEST_PG_URL, { dataDir, schema: schema.schema, partBytes: PART_BYTES }));

mediaStoreConformance('local', {
  store: () => new LocalMediaStore(dataDir),
  get dataDir() {
    return dataDir;
  },
  partBytes: 0,
  leftovers: localFiles,
});

mediaStoreConformance('database', {
  store: database,
  get dataDir() {
    return dataDir;
  },
  partBytes: PART_BYTES,
  // Parts without their object cannot exist (foreign key); a local spool copy would be a leftover too.
  leftovers: async (taskId) => (await dbObjects(taskId)) + (await localFiles(taskId)),
});

describe('database media store', () => {
  it('keeps parts of the configured size and shows an object only once it is complete', async () => {
    const media = database();
    const id = randomUUID();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const source = Readable.from(
      (async function* () {
        yield bytesOf(2500, 1);
        await gate;
        yield bytesOf(100, 2);
      })(),
      { objectMode: false },
    );
    const putting = media.put(id, 'input.mp3', source, { maxBytes: 1e6 });
    const key = `db:${id}/input.mp3`;
    const parts = async () =>
      (
        await db.query(
          `SELECT seq, length(data) AS n FROM "${schema.schema}".media_parts WHERE key = $1 ORDER BY seq`,
          [key],
        )
      ).rows.map((r) => Number(r.n));
    // Two whole parts are written while the rest has not arrived; the object is not visible yet.
    const deadline = Date.now() + 30_000;
    while ((await parts()).length < 2 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(await parts()).toEqual([1000, 1000]);
    expect(await media.stat(key)).toBeNull();
    await expect(media.read(key)).rejects.toBeInstanceOf(MediaMissingError);
    release();
    expect(await putting).toEqual({ key, bytes: 2600 });
    expect(await parts()).toEqual([1000, 1000, 600]);
    expect(await media.stat(key)).toEqual({ bytes: 2600 });
  });

  it('a read fails when the object is removed under it', async () => {
    const media = database();
    const id = randomUUID();
    // Far more than the reader buffers ahead (its high-water mark), so most is still unread at the removal.
    const { key } = await media.put(id, 'input', Readable.from([bytesOf(300_000, 3)]), { maxBytes: 1e6 });
    const stream = await media.read(key);
    // Listen for the failure from the start: the reader keeps fetching ahead while paused, so it may
    // fail before the rest is consumed.
    const failed = new Promise<unknown>((resolve) => stream.once('error', resolve));
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
    expect(first.length).toBe(PART_BYTES);
    stream.pause();
    await media.remove(id);
    stream.resume();
    expect(await failed).toBeInstanceOf(MediaMissingError);
  });

  it('sweepOrphans() removes stale objects no task refers to, and keeps the others', async () => {
    let clock = 1_000_000;
    const media = kept(
      new DatabaseMediaStore(TEST_PG_URL, { dataDir, schema: schema.schema, partBytes: PART_BYTES, now: () => clock }),
    );
    const withTask = randomUUID();
    const orphan = randomUUID();
    await media.put(withTask, 'input', Readable.from([bytesOf(10, 1)]), { maxBytes: 100 });
    await media.put(orphan, 'input', Readable.from([bytesOf(10, 1)]), { maxBytes: 100 });
    await taskStore.enqueue(
      {
        id: withTask,
        userId: 'u',
        priority: 0,
        sourceName: 'a',
        mediaPath: `db:${withTask}/input`,
        mediaBytes: 10,
        options: { language: 'en', formats: ['json'] },
        callbackUrl: null,
        maxAttempts: 1,
        durationSeconds: 1,
      },
      100,
    );
    // An upload cut off with its process: an incomplete object, never finished.
    await db.query(
      `INSERT INTO "${schema.schema}".media_objects (key, task_id, part_bytes, bytes, complete, created_at, updated_at)
       VALUES ($1, $2, 1000, 0, FALSE, 1000000, 1000000)`,
      [`db:${orphan}/cut`, orphan],
    );
    clock += 10;
    expect(await media.sweepOrphans(1_000_000)).toBe(0);
    expect(await media.sweepOrphans(clock)).toBe(2);
    expect(await dbObjects(orphan)).toBe(0);
    expect(await dbObjects(withTask)).toBe(1);
    await taskStore.remove(withTask, { admin: true });
  });

  it('reads paths a local store wrote before the switch', async () => {
    const local = new LocalMediaStore(dataDir);
    const media = database();
    const data = bytesOf(5000, 4);
    const { key } = await local.put(randomUUID(), 'input.wav', Readable.from([data]), { maxBytes: 1e6 });
    expect(await media.stat(key)).toEqual({ bytes: 5000 });
    expect((await buffer(await media.read(key, { start: 10, end: 19 }))).equals(data.subarray(10, 20))).toBe(true);
    expect(await media.materialise(key, path.join(dataDir, 'work', 'x'))).toBe(key);
  });
});

describe('EARSHOT_MEDIA_STORE', () => {
  it('defaults to local; database needs a PostgreSQL store and fails at boot without one', () => {
    expect(loadConfig({}, {}).mediaStore).toBe('local');
    expect(() => loadConfig({}, { EARSHOT_MEDIA_STORE: 'database' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { EARSHOT_MEDIA_STORE: 'database' })).toThrow(/needs a PostgreSQL store/);
    expect(() => loadConfig({}, { EARSHOT_MEDIA_STORE: 'database', EARSHOT_DB: 'sqlite:/tmp/x.db' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({}, { EARSHOT_MEDIA_STORE: 's3' })).toThrow(/EARSHOT_MEDIA_STORE/);
    const config = loadConfig(
      {},
      { EARSHOT_MEDIA_STORE: 'database', EARSHOT_DB: schema.url, EARSHOT_DATA_DIR: dataDir },
    );
    const media = kept(createMediaStore(config));
    expect(media.kind).toBe('database');
    expect(createMediaStore(loadConfig({}, { EARSHOT_DATA_DIR: dataDir })).kind).toBe('local');
  });
});
