import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/core/errors/index.js';
import type { Segment } from '../../src/core/transcript.js';
import { SessionRecording } from '../../src/live/session-recording.js';
import { mediaDir } from '../../src/services/media-files.js';
import { call, type Json, json } from '../api/support.js';
import { mulberry32 } from '../helpers/prng.js';
import { startServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);

/** `seconds` of deterministic PCM16 noise at `rate` (LE bytes). */
function noise(seconds: number, rate: number, seed: number): Buffer {
  const next = mulberry32(seed);
  const out = Buffer.alloc(Math.round(seconds * rate) * 2);
  for (let i = 0; i < out.length; i += 2) out.writeInt16LE(Math.round((next() * 2 - 1) * 12_000), i);
  return out;
}

/** Feeds `pcm` in pieces of 1..max bytes (odd sizes included, so samples are split across messages). */
function writeInPieces(rec: SessionRecording, pcm: Buffer, max: number, seed: number): number {
  const next = mulberry32(seed);
  let pieces = 0;
  for (let at = 0; at < pcm.length; pieces++) {
    const n = 1 + Math.floor(next() * max);
    rec.write(pcm.subarray(at, at + n));
    at += n;
  }
  return pieces;
}

interface Probed {
  format: { format_name: string; duration: string };
  streams: Array<{ codec_name: string; sample_rate: string; channels: number }>;
}

async function ffprobe(file: string): Promise<Probed> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    file,
  ]);
  return JSON.parse(stdout) as Probed;
}

/** ffmpeg's own decoding of the file, as raw PCM16 LE: what a player would play. */
async function ffmpegSamples(file: string): Promise<Buffer> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 's16le', '-acodec', 'pcm_s16le', '-'], {
    encoding: 'buffer',
    maxBuffer: 64 << 20,
  });
  return stdout;
}

const word = (w: string, start: number, end: number) => ({ word: w, start, end, confidence: 0.9 });

/** Completed turns as the worker reports them (session seconds); the last one has no text. */
const TURNS: Segment[] = [
  { start: 0.5, end: 1.8, text: 'hello there', words: [word('hello', 0.5, 1), word('there', 1.1, 1.8)] },
  { start: 3.5, end: 4.6, text: ' second turn ', words: [word('second', 3.5, 4), word('turn', 4.1, 4.6)] },
  { start: 5, end: 5.2, text: '', words: [] },
];

describe('SessionRecording', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => {
    await s.close();
  });

  const alice = () => ({ userId: s.users.alice?.id ?? '', sourceName: 'Live session', language: 'en' });

  it('writes a playable WAV with exactly the samples received in many small pieces', async () => {
    const id = randomUUID();
    const rec = await SessionRecording.open(s.dataDir, id, 24_000);
    const pcm = noise(2.5, 24_000, 7);
    const pieces = writeInPieces(rec, pcm, 997, 11);
    expect(pieces).toBeGreaterThan(100);
    expect(rec.recordedSeconds).toBe(2.5);
    const task = await rec.save(s.store, alice());
    expect(task?.mediaPath).toBe(path.join(mediaDir(s.dataDir, id), 'input.wav'));
    const file = await readFile(task?.mediaPath ?? '');
    expect(file.length).toBe(44 + pcm.length);
    expect(task?.mediaBytes).toBe(file.length);
    expect(file.toString('ascii', 0, 4)).toBe('RIFF');
    expect(file.readUInt32LE(4)).toBe(36 + pcm.length);
    expect(file.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect(file.readUInt32LE(24)).toBe(24_000);
    expect(file.toString('ascii', 36, 40)).toBe('data');
    expect(file.readUInt32LE(40)).toBe(pcm.length);
    expect(file.subarray(44).equals(pcm)).toBe(true);

    const probed = await ffprobe(task?.mediaPath ?? '');
    expect(probed.format.format_name).toBe('wav');
    expect(Number(probed.format.duration)).toBeCloseTo(2.5, 3);
    expect(probed.streams).toEqual([
      expect.objectContaining({ codec_name: 'pcm_s16le', sample_rate: '24000', channels: 1 }),
    ]);
    expect((await ffmpegSamples(task?.mediaPath ?? '')).equals(pcm)).toBe(true);
  });

  it('saves a succeeded task that the API lists, serves and renders in every format', async () => {
    const id = randomUUID();
    const rec = await SessionRecording.open(s.dataDir, id, 16_000);
    const pcm = noise(6, 16_000, 3);
    writeInPieces(rec, pcm, 4096, 5);
    for (const turn of TURNS) rec.addTurn(turn);
    const task = await rec.save(s.store, { ...alice(), formats: ['srt', 'txt'] });
    expect(task).toMatchObject({ id, status: 'succeeded', stage: 'done', attempts: 0, durationSeconds: 6 });
    const token = s.tokens.alice;

    const list = await json<Json>(await call(s, 'GET', '/v1/tasks', { token }));
    const listed = (list.tasks as Json[]).find((t) => t.id === id);
    expect(listed).toMatchObject({
      status: 'succeeded',
      source_name: 'Live session',
      duration_seconds: 6,
      media_bytes: 44 + pcm.length,
      options: { language: 'en', formats: ['srt', 'txt'] },
      progress: { percent: 100, done_seconds: 6, total_seconds: 6 },
    });
    const other = await json<Json>(await call(s, 'GET', '/v1/tasks', { token: s.tokens.bob }));
    expect((other.tasks as Json[]).some((t) => t.id === id)).toBe(false);

    const transcript = await json<Json>(await call(s, 'GET', `/v1/tasks/${id}/transcript?format=json`, { token }));
    expect(transcript).toMatchObject({
      language: 'en',
      duration: 6,
      text: 'hello there second turn',
      segments: [
        { start: 0.5, end: 1.8, text: 'hello there' },
        { start: 3.5, end: 4.6, text: 'second turn' },
      ],
    });
    expect(transcript.segments).toHaveLength(2);

    const text = async (format: string) => {
      const res = await call(s, 'GET', `/v1/tasks/${id}/transcript?format=${format}`, { token });
      expect(res.status).toBe(200);
      return res.text();
    };
    expect(await text('srt')).toBe(
      '1\n00:00:00,500 --> 00:00:01,800\nhello there\n\n2\n00:00:03,500 --> 00:00:04,600\nsecond turn\n\n',
    );
    expect(await text('vtt')).toBe(
      'WEBVTT\n\n00:00:00.500 --> 00:00:01.800\nhello there\n\n00:00:03.500 --> 00:00:04.600\nsecond turn\n',
    );
    // txt keeps a paragraph per turn.
    expect((await text('txt')).trim()).toBe('hello there\n\nsecond turn');

    const media = await call(s, 'GET', `/v1/tasks/${id}/media`, { token });
    expect(media.status).toBe(200);
    const served = Buffer.from(await media.arrayBuffer());
    expect(served.subarray(44).equals(pcm)).toBe(true);

    const types = (await s.store.readEvents(0, 1000, { taskId: id })).map((e) => e.type);
    expect(types).toEqual(['created', 'done']);

    // Deleting it through the API removes it like any task.
    expect((await call(s, 'DELETE', `/v1/tasks/${id}`, { token })).status).toBeLessThan(300);
    expect((await call(s, 'GET', `/v1/tasks/${id}`, { token })).status).toBe(404);
  });

  it('saves nothing and leaves no directory when no audio was recorded', async () => {
    const id = randomUUID();
    const rec = await SessionRecording.open(s.dataDir, id, 24_000);
    expect(existsSync(mediaDir(s.dataDir, id))).toBe(true);
    rec.write(Buffer.alloc(1)); // half a sample is not audio
    rec.addTurn(TURNS[0] as Segment);
    expect(await rec.save(s.store, alice())).toBeNull();
    expect(existsSync(mediaDir(s.dataDir, id))).toBe(false);
    expect(await s.store.get(id, { admin: true })).toBeNull();
  });

  it('discard removes the directory and stops recording', async () => {
    const id = randomUUID();
    const rec = await SessionRecording.open(s.dataDir, id, 24_000);
    rec.write(noise(1, 24_000, 1));
    await rec.discard();
    expect(existsSync(mediaDir(s.dataDir, id))).toBe(false);
    rec.write(noise(1, 24_000, 2)); // ignored, no throw
    await rec.discard(); // idempotent
    await expect(rec.save(s.store, alice())).rejects.toThrow(/discarded/);
    expect(existsSync(mediaDir(s.dataDir, id))).toBe(false);
  });

  it('removes the partial media directory when the store refuses the task', async () => {
    const taken = await s.store.addFinished(
      {
        id: randomUUID(),
        userId: s.users.alice?.id ?? '',
        priority: 0,
        sourceName: 'elsewhere',
        mediaPath: '/nowhere/input.wav',
        mediaBytes: 1,
        options: { language: 'en', formats: ['json'] },
        callbackUrl: null,
        maxAttempts: 1,
        durationSeconds: 1,
      },
      { language: 'en', duration: 1, segments: [], text: '' },
    );
    const rec = await SessionRecording.open(s.dataDir, taken.id, 16_000);
    rec.write(noise(0.5, 16_000, 9));
    await expect(rec.save(s.store, alice())).rejects.toBeInstanceOf(ConflictError);
    expect(existsSync(mediaDir(s.dataDir, taken.id))).toBe(false);
    expect(await s.store.get(taken.id, { admin: true })).toMatchObject({ sourceName: 'elsewhere' });
    await rec.discard(); // after a failed save: nothing left to do
  });

  it('refuses to open over an existing recording and leaves it alone', async () => {
    const id = randomUUID();
    const first = await SessionRecording.open(s.dataDir, id, 16_000);
    first.write(noise(0.25, 16_000, 4));
    await expect(SessionRecording.open(s.dataDir, id, 16_000)).rejects.toMatchObject({ code: 'EEXIST' });
    const task = await first.save(s.store, alice());
    expect(task?.durationSeconds).toBe(0.25);
    expect((await ffprobe(task?.mediaPath ?? '')).streams[0]?.codec_name).toBe('pcm_s16le');
  });
});

describe('SessionRecording outside a server', () => {
  it('reports the bytes waiting for the disk', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'earshot-rec-'));
    try {
      const rec = await SessionRecording.open(dataDir, randomUUID(), 16_000);
      rec.write(noise(2, 16_000, 1));
      // Nothing can have been flushed yet: the write was queued in this same tick.
      expect(rec.pendingBytes).toBeGreaterThanOrEqual(64_000);
      await rec.discard();
      expect(rec.pendingBytes).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
