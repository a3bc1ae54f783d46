/**
 * A saved live session with the database media store: the WAV goes into PostgreSQL before the task
 * is added, the task keeps its key, and nothing stays on this node's disk; a save that fails leaves
 * nothing stored.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/errors/index.js';
import { SessionRecording } from '../../src/live/session-recording.js';
import { mediaDir } from '../../src/services/media-files.js';
import { DatabaseMediaStore } from '../../src/storage/database.media-store.js';
import { createStore } from '../../src/store/create-store.js';
import type { TaskStore } from '../../src/store/task.store.js';
import { freshPgSchema, TEST_PG_URL, type TestSchema } from '../helpers/pg.js';
import { bytesOf } from './media-store.conformance.js';

let schema: TestSchema;
let store: TaskStore;
let media: DatabaseMediaStore;
let dataDir: string;

beforeAll(async () => {
  schema = await freshPgSchema('earshot_media_live');
  store = createStore(schema.url);
  await store.migrate();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'earshot-media-live-'));
  media = new DatabaseMediaStore(TEST_PG_URL, { dataDir, schema: schema.schema });
});

afterAll(async () => {
  await media?.close();
  await store?.close();
  await schema?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

const options = { userId: 'u1', sourceName: 'Live session', language: 'en' };
const localFiles = async (id: string) => (await readdir(mediaDir(dataDir, id)).catch(() => [])).length;

it('puts the recording into the media store before the task is added, keeping no local copy', async () => {
  const id = randomUUID();
  const rec = await SessionRecording.open(dataDir, id, 16_000);
  const pcm = bytesOf(16_000 * 2 * 3, 1);
  rec.write(pcm);
  rec.addTurn({ start: 0.5, end: 1, text: 'hello', words: [] });
  const task = await rec.save(store, options, media);
  expect(task).toMatchObject({ id, status: 'succeeded', mediaPath: `db:${id}/input.wav`, mediaBytes: 44 + pcm.length });
  const stored = await buffer(await media.read(task?.mediaPath ?? ''));
  expect(stored.length).toBe(44 + pcm.length);
  expect(stored.toString('ascii', 0, 4)).toBe('RIFF');
  expect(stored.readUInt32LE(40)).toBe(pcm.length);
  expect(stored.subarray(44).equals(pcm)).toBe(true);
  expect(await localFiles(id)).toBe(0);
});

it('a save that fails (a task with that id exists) leaves nothing stored', async () => {
  const id = randomUUID();
  const first = await SessionRecording.open(dataDir, id, 16_000);
  first.write(bytesOf(3200, 2));
  await first.save(store, options);
  // The same id again (only a bug could do it): addFinished refuses, and the media put is undone.
  await rm(mediaDir(dataDir, id), { recursive: true, force: true });
  const second = await SessionRecording.open(dataDir, id, 16_000);
  second.write(bytesOf(3200, 3));
  await expect(second.save(store, options, media)).rejects.toBeInstanceOf(ConflictError);
  expect(await media.stat(`db:${id}/input.wav`)).toBeNull();
  expect(await localFiles(id)).toBe(0);
});
