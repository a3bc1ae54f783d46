/**
 * Nothing shared but PostgreSQL: an API server, an `earshot worker` and a second API server each
 * have their own data directory, with EARSHOT_MEDIA_STORE=database. An upload accepted by the first
 * server is transcribed (real PocketSphinx) by the worker, which copies the input from the database
 * and removes its copy afterwards; the second server serves the media, whole and by range, and
 * deletes the task with its media rows. A task whose media is gone fails at once, for good.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wordErrorRate } from '../../src/core/wer.js';
import { freshPgSchema, TEST_PG_URL, type TestSchema } from '../helpers/pg.js';
import { type CliProcess, Service, startService, startWorker } from '../helpers/service/index.js';

const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox';
const CLIPS = ['0870', '0880', '0890'];
/** What is said in CLIPS, in order (the corpus's own transcription). */
const REFERENCE =
  'and mister john dashwood had then leisure to consider how much there might be prudently in his power to do for them ' +
  'he was not an ill disposed young man ' +
  'unless to be rather cold hearted and rather selfish is to be ill disposed';

const run = promisify(execFile);

/**
 * The clips joined and stored as 48 kHz stereo WAV: about 15 s of speech in about 2.8 MiB, so the
 * media spans several 1 MiB parts while recognition stays short.
 */
async function multiPartRecording(dir: string): Promise<string> {
  const out = path.join(dir, 'joined.wav');
  const inputs = CLIPS.flatMap((c) => ['-i', `${LIBRIVOX}/sense_and_sensibility_01_austen_64kb-${c}.wav`]);
  const filter = `${CLIPS.map((_, i) => `[${i}:a]`).join('')}concat=n=${CLIPS.length}:v=0:a=1[a]`;
  await run('ffmpeg', [
    '-v',
    'error',
    ...inputs,
    '-filter_complex',
    filter,
    '-map',
    '[a]',
    '-ar',
    '48000',
    '-ac',
    '2',
    out,
  ]);
  return out;
}
const ADMIN = { admin: true } as const;

let schema: TestSchema;
let api: Service;
let other: Service;
let worker: CliProcess;
let workerDir: string;
let db: pg.Pool;
let clip: string;
let clipDir: string;

beforeAll(async () => {
  schema = await freshPgSchema('earshot_e2e_media');
  const env = { EARSHOT_DB: schema.url, EARSHOT_WORKERS: 0, EARSHOT_CONCURRENCY: 1, EARSHOT_MEDIA_STORE: 'database' };
  api = await startService({ env });
  workerDir = await mkdtemp(path.join(os.tmpdir(), 'earshot-e2e-worker-'));
  worker = await startWorker({ id: 'media-w', dataDir: workerDir, env });
  other = new Service(await mkdtemp(path.join(os.tmpdir(), 'earshot-e2e-api2-')), { env });
  Object.assign(other.tokens, api.tokens);
  await other.start();
  db = new pg.Pool({ connectionString: TEST_PG_URL, max: 2 });
  clipDir = await mkdtemp(path.join(os.tmpdir(), 'earshot-e2e-clip-'));
  clip = await multiPartRecording(clipDir);
});

afterAll(async () => {
  await worker?.stop();
  await Promise.all([api?.stop(), other?.stop()]);
  await db?.end();
  await schema?.drop();
  if (workerDir) await rm(workerDir, { recursive: true, force: true });
  if (clipDir) await rm(clipDir, { recursive: true, force: true });
});

/** Files under `dir` (recursively), as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

const mediaRows = async (taskId: string) =>
  (
    await db.query(`SELECT key, bytes, complete FROM "${schema.schema}".media_objects WHERE task_id = $1`, [taskId])
  ).rows.map((r) => ({ key: r.key as string, bytes: Number(r.bytes), complete: r.complete as boolean }));

const partCount = async (key: string) =>
  Number((await db.query(`SELECT count(*) AS n FROM "${schema.schema}".media_parts WHERE key = $1`, [key])).rows[0].n);

describe('EARSHOT_MEDIA_STORE=database: nodes with separate data directories', () => {
  it('an upload is transcribed by a worker elsewhere, served and deleted by another server', async () => {
    const original = await readFile(clip);
    expect(original.length).toBeGreaterThan(2 * 1024 * 1024);
    const task = await api.upload(clip);
    // Accepted means stored: the media is in the database, the receiving node kept no copy.
    expect(await mediaRows(task.id)).toEqual([
      { key: `db:${task.id}/input.wav`, bytes: original.length, complete: true },
    ]);
    expect(await partCount(`db:${task.id}/input.wav`)).toBe(Math.ceil(original.length / (1024 * 1024)));
    expect(await filesUnder(path.join(api.dataDir, 'media'))).toEqual([]);

    await api.waitForStatus(task.id, 'succeeded', 180_000);
    const transcript = await other.transcript(task.id);
    // The real engine heard the speech (its usual accuracy on these clips, with room for the resampling).
    expect(wordErrorRate(REFERENCE, transcript.text).wer).toBeLessThan(0.5);
    expect(worker.log.records((r) => r.msg === 'task succeeded').map((r) => r.taskId)).toContain(task.id);
    // The worker's copy went with its run.
    expect(await filesUnder(workerDir)).toEqual([]);

    // The second server has never seen the file, yet serves it, whole and by range.
    const whole = await other.request(`/v1/tasks/${task.id}/media`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('audio/wav');
    expect(whole.headers.get('content-length')).toBe(String(original.length));
    expect(Buffer.from(await whole.arrayBuffer()).equals(original)).toBe(true);
    const start = 1024 * 1024 - 10;
    const end = start + 99;
    const part = await other.request(`/v1/tasks/${task.id}/media`, { headers: { range: `bytes=${start}-${end}` } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes ${start}-${end}/${original.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(original.subarray(start, end + 1))).toBe(true);
    const tail = await other.request(`/v1/tasks/${task.id}/media`, { headers: { range: 'bytes=-5' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(original.subarray(original.length - 5))).toBe(true);
    expect(await filesUnder(path.join(other.dataDir, 'media'))).toEqual([]);

    // Deleting through the second server removes the media rows, parts included.
    expect((await other.request(`/v1/tasks/${task.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await mediaRows(task.id)).toEqual([]);
    expect(await partCount(`db:${task.id}/input.wav`)).toBe(0);
    expect((await other.request(`/v1/tasks/${task.id}/media`)).status).toBe(404);
  });

  it('a task whose media is missing fails at once with media_missing, not retried', async () => {
    const id = randomUUID();
    const users = await api.readStore((s) => s.listUsers());
    const alice = users.find((u) => u.name === 'alice');
    await api.readStore((s) =>
      s.enqueue(
        {
          id,
          userId: alice?.id ?? '',
          priority: 0,
          sourceName: 'gone.wav',
          mediaPath: `db:${id}/input.wav`,
          mediaBytes: 1000,
          options: { language: 'en', formats: ['json'] },
          callbackUrl: null,
          maxAttempts: 3,
          durationSeconds: 5,
        },
        100,
      ),
    );
    const failed = await api.waitForStatus(id, 'failed', 60_000);
    expect(failed.attempts).toBe(1);
    expect(failed.error).toMatchObject({ code: 'media_missing' });
    const log = await api.readStore((s) => s.readEvents(0, 1000, { taskId: id }));
    expect(log.filter((e) => e.type === 'retrying')).toEqual([]);
    expect(await api.readStore((s) => s.get(id, ADMIN))).toMatchObject({ status: 'failed' });
  });
});

describe('EARSHOT_MEDIA_STORE=database: the worker copy', () => {
  it('goes when a run is cancelled, and the media stays in the database for a retry', async () => {
    const task = await api.upload(clip);
    const copy = path.join('work', task.id, 'media-input.wav');
    await api.until(
      'the worker to hold a copy of the input',
      async () => (await filesUnder(workerDir)).includes(copy),
      {
        timeoutMs: 120_000,
        intervalMs: 20,
      },
    );
    expect((await api.request(`/v1/tasks/${task.id}/cancel`, { method: 'POST' })).status).toBe(200);
    await api.until('the cancelled run to remove its copy', async () => (await filesUnder(workerDir)).length === 0, {
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    expect(await mediaRows(task.id)).toHaveLength(1);
    expect((await api.request(`/v1/tasks/${task.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await mediaRows(task.id)).toEqual([]);
  });
});
