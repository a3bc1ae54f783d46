/**
 * The OpenAI-compatible door, driven by the official `openai` SDK against `earshot serve` on
 * loopback with the real PocketSphinx engine on real LibriVox speech: every response_format, the
 * timestamp granularities, streaming, the model routes, OpenAI-shaped errors (raised by the SDK as
 * its typed errors) and what a client that leaves does to its task.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import OpenAI, { APIUserAbortError, AuthenticationError, BadRequestError, NotFoundError, toFile } from 'openai';
import { parseSync } from 'subtitle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebVTTParser } from 'webvtt-parser';
import { normalizeWords, wordErrorRate } from '../../src/core/wer.js';
import { LIBRIVOX_DIR, loadLibrivox } from '../engines/librivox.js';
import { type Service, startService, type TaskView } from '../helpers/service/index.js';

/** 2.99 s: one chunk; the format tests. */
const SHORT = 'sense_and_sensibility_01_austen_64kb-0880';
/** 7.1 s: with 3 s chunks, several chunks, so several deltas. */
const LONG = 'sense_and_sensibility_01_austen_64kb-0870';
/** PocketSphinx's per-clip bound in test/engines/pocketsphinx.test.ts. */
const MAX_WER = 0.5;

let svc: Service;
let client: OpenAI;
const audio: Record<string, Buffer> = {};
const reference = (id: string): string => loadLibrivox().find((c) => c.id === id)?.reference as string;
const file = (id: string, name = `${id}.wav`) => toFile(audio[id] as Buffer, name, { type: 'audio/wav' });
const words = (text: string): string[] => normalizeWords(text);

beforeAll(async () => {
  for (const id of [SHORT, LONG]) audio[id] = await readFile(`${LIBRIVOX_DIR}/${id}.wav`);
  // One engine: a task's chunks are recognised in order, so each finished chunk extends the prefix
  // and is its own delta. With two, the later chunks may finish first and go out with the first one
  // in a single delta (as they should), which made the count of deltas a race.
  svc = await startService({ env: { EARSHOT_MAX_CHUNK_SECONDS: 3, EARSHOT_CONCURRENCY: 1 } });
  // No retries: a test must see the first answer.
  client = new OpenAI({ apiKey: svc.tokens.alice, baseURL: `${svc.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await svc?.stop();
});

/** The SDK's error, for assertions on its class, status and OpenAI error body. */
async function failure(
  p: Promise<unknown>,
): Promise<{ err: unknown; status?: number; error?: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    const e = err as { status?: number; error?: Record<string, unknown> };
    return { err, ...(e.status === undefined ? {} : { status: e.status }), ...(e.error ? { error: e.error } : {}) };
  }
  throw new Error('expected the request to fail');
}

describe('POST /v1/audio/transcriptions through the openai SDK', () => {
  it('answers every response_format with OpenAI shapes, each an ordinary task', async () => {
    const [json, text, srt, vtt, both, wordsOnly, segmentsOnly] = await Promise.all([
      client.audio.transcriptions.create({ file: await file(LONG), model: 'whisper-1' }),
      client.audio.transcriptions.create({ file: await file(SHORT), model: 'whisper-1', response_format: 'text' }),
      client.audio.transcriptions.create({ file: await file(SHORT), model: 'pocketsphinx', response_format: 'srt' }),
      client.audio.transcriptions.create({ file: await file(SHORT), model: 'whisper-1', response_format: 'vtt' }),
      client.audio.transcriptions.create({
        file: await file(SHORT),
        model: 'gpt-4o-transcribe',
        response_format: 'verbose_json',
        timestamp_granularities: ['word', 'segment'],
        language: 'en',
        prompt: 'ignored',
        temperature: 0.2,
      }),
      client.audio.transcriptions.create({
        file: await file(SHORT),
        model: 'whisper-1',
        response_format: 'verbose_json',
        timestamp_granularities: ['word'],
      }),
      client.audio.transcriptions.create({
        file: await file(SHORT),
        model: 'whisper-1',
        response_format: 'verbose_json',
      }),
    ]);

    // json: exactly whisper-1's {text, usage}; the real words of the clip.
    expect(Object.keys(json).sort()).toEqual(['text', 'usage']);
    expect(json.usage).toEqual({ type: 'duration', seconds: 8 });
    expect(wordErrorRate(reference(LONG), json.text).wer, json.text).toBeLessThan(MAX_WER);

    // verbose_json, both granularities: the reference for the other formats of the same clip.
    const verbose = both as unknown as Record<string, unknown> & typeof both;
    expect(verbose.task).toBe('transcribe');
    expect(verbose.language).toBe('english');
    expect(verbose.duration).toBeCloseTo(2.99, 1);
    expect(verbose.usage).toEqual({ type: 'duration', seconds: 3 });
    expect(wordErrorRate(reference(SHORT), verbose.text).wer, verbose.text).toBeLessThan(MAX_WER);
    const segments = verbose.segments ?? [];
    expect(segments.length).toBeGreaterThan(0);
    for (const [i, s] of segments.entries()) {
      expect(Object.keys(s).sort()).toEqual(
        [
          'avg_logprob',
          'compression_ratio',
          'end',
          'id',
          'no_speech_prob',
          'seek',
          'start',
          'temperature',
          'text',
          'tokens',
        ].sort(),
      );
      expect(s.id).toBe(i);
      expect(s.end).toBeGreaterThan(s.start);
      expect(s.avg_logprob).toBeLessThanOrEqual(0);
      expect(s.compression_ratio).toBeGreaterThan(0);
      expect(s.text.startsWith(' ')).toBe(true);
    }
    expect(words(segments.map((s) => s.text).join(''))).toEqual(words(verbose.text));
    expect(words((verbose.words ?? []).map((w) => w.word).join(' '))).toEqual(words(verbose.text));
    for (const w of verbose.words ?? []) expect(w.end).toBeGreaterThanOrEqual(w.start);

    // Only `word` asked for: words and no segments, as OpenAI answers; by default: segments, no words.
    expect(wordsOnly.segments).toBeUndefined();
    expect(wordsOnly.words?.map((w) => w.word)).toEqual(verbose.words?.map((w) => w.word));
    expect(segmentsOnly.words).toBeUndefined();
    expect(segmentsOnly.segments?.map((s) => s.text)).toEqual(segments.map((s) => s.text));

    // text: the text and a newline.
    expect(typeof text).toBe('string');
    expect(text).toBe(`${verbose.text}\n`);

    // srt and vtt: valid files whose cues carry the same words.
    const cues = parseSync(srt).filter((n) => n.type === 'cue');
    expect(cues.length).toBeGreaterThan(0);
    expect(words(cues.map((c) => (c.data as { text: string }).text).join(' '))).toEqual(words(verbose.text));
    const parsed = new WebVTTParser().parse(vtt, 'subtitles');
    expect(parsed.errors).toEqual([]);
    expect(words(parsed.cues.map((c: { text: string }) => c.text).join(' '))).toEqual(words(verbose.text));

    // Every request was a task of the caller's, listed with the others.
    const list = await svc.json<{ tasks: TaskView[] }>('/v1/tasks?status=succeeded&limit=100');
    expect(list.tasks.filter((t) => t.source_name === `${SHORT}.wav`).length).toBeGreaterThanOrEqual(6);
  });

  it('streams deltas as chunks finish; they add up to the done text', async () => {
    const stream = await client.audio.transcriptions.create({
      file: await file(LONG),
      model: 'whisper-1',
      stream: true,
    });
    const deltas: string[] = [];
    let done: { text: string; usage?: unknown } | null = null;
    for await (const ev of stream) {
      if (ev.type === 'transcript.text.delta') {
        expect(done).toBeNull();
        deltas.push(ev.delta);
      } else if (ev.type === 'transcript.text.done') done = ev;
    }
    expect(done).not.toBeNull();
    const final = done as unknown as { text: string; usage: unknown };
    expect(deltas.length).toBeGreaterThanOrEqual(2);
    expect(deltas.join('')).toBe(final.text);
    expect(final.usage).toEqual({ type: 'duration', seconds: 8 });
    expect(wordErrorRate(reference(LONG), final.text).wer, final.text).toBeLessThan(MAX_WER);
  });
});

describe('GET /v1/models', () => {
  it('lists the engine; retrieves it and the OpenAI aliases; 404 for others', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual(['pocketsphinx']);
    expect(page.data[0]).toMatchObject({ object: 'model', owned_by: 'earshot' });
    expect(page.data[0]?.created).toBeGreaterThan(1_600_000_000);
    expect(await client.models.retrieve('pocketsphinx')).toMatchObject({ id: 'pocketsphinx', object: 'model' });
    expect(await client.models.retrieve('whisper-1')).toMatchObject({ id: 'whisper-1', object: 'model' });
    const missing = await failure(client.models.retrieve('no-such-model'));
    expect(missing.err).toBeInstanceOf(NotFoundError);
    expect(missing.error).toMatchObject({ type: 'invalid_request_error', code: 'model_not_found' });
  });
});

describe('errors in OpenAI shape', () => {
  it('raise the SDK typed errors with OpenAI statuses; the rest of the API keeps its own shape', async () => {
    const noFile = await failure(
      client.audio.transcriptions.create({
        model: 'whisper-1',
      } as unknown as OpenAI.Audio.TranscriptionCreateParamsNonStreaming),
    );
    expect(noFile.err).toBeInstanceOf(BadRequestError);
    expect(noFile.error).toMatchObject({ type: 'invalid_request_error', param: 'file' });

    const badFormat = await failure(
      client.audio.transcriptions.create({
        file: await file(SHORT),
        model: 'whisper-1',
        response_format: 'docx' as 'json',
      }),
    );
    expect(badFormat.err).toBeInstanceOf(BadRequestError);
    expect(badFormat.error).toMatchObject({ type: 'invalid_request_error', param: 'response_format' });

    const notAudio = await failure(
      client.audio.transcriptions.create({
        file: await toFile(Buffer.from('this is not a recording\n'), 'notes.txt'),
        model: 'whisper-1',
      }),
    );
    expect(notAudio.err).toBeInstanceOf(BadRequestError);
    expect(notAudio.error).toMatchObject({ type: 'invalid_request_error', param: 'file', code: 'bad_audio' });

    const unknownModel = await failure(
      client.audio.transcriptions.create({ file: await file(SHORT), model: 'davinci' }),
    );
    expect(unknownModel.err).toBeInstanceOf(NotFoundError);
    expect(unknownModel.error).toMatchObject({ code: 'model_not_found', param: 'model' });

    const translation = await failure(
      client.audio.translations.create({ file: await file(SHORT), model: 'whisper-1' }),
    );
    expect(translation.err).toBeInstanceOf(BadRequestError);
    expect(translation.error).toMatchObject({ type: 'invalid_request_error', code: 'unsupported_operation' });

    const stranger = new OpenAI({ apiKey: 'not-a-token', baseURL: `${svc.url}/v1`, maxRetries: 0 });
    const denied = await failure(stranger.audio.transcriptions.create({ file: await file(SHORT), model: 'whisper-1' }));
    expect(denied.err).toBeInstanceOf(AuthenticationError);
    expect(denied.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
    expect((await failure(stranger.models.list())).err).toBeInstanceOf(AuthenticationError);
    // The SDK refuses to send no key at all; curl does not.
    const anonymous = await fetch(`${svc.url}/v1/models`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_api_key' } });

    // Earshot's own routes still answer {error: {code, message}}.
    const res = await svc.request('/v1/tasks/no-such-task');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'task not found' } });

    // Fields may come before the file too (curl -F order): a bad one is refused all the same.
    const form = new FormData();
    form.append('model', 'whisper-1');
    form.append('response_format', 'docx');
    form.append('file', new Blob([new Uint8Array(audio[SHORT] as Buffer)]), 'first.wav');
    const early = await svc.request('/v1/audio/transcriptions', { method: 'POST', body: form });
    expect(early.status).toBe(400);
    expect(await early.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'response_format' } });

    // None of the refused requests left a task or a stored input behind.
    const list = await svc.json<{ tasks: TaskView[] }>('/v1/tasks?limit=100');
    expect(list.tasks.filter((t) => t.source_name === 'notes.txt' || t.source_name === 'first.wav')).toEqual([]);
    const stored = await readdir(path.join(svc.dataDir, 'media'));
    expect(stored.filter((id) => !list.tasks.some((t) => t.id === id))).toEqual([]);
  });
});

describe('a client that leaves', () => {
  /** Starts a request with the workers paused, waits for its task to be queued, aborts, returns the task. */
  async function leave(name: string, stream: boolean): Promise<TaskView> {
    const ac = new AbortController();
    const upload = { file: await file(SHORT, name), model: 'whisper-1' };
    const request = stream
      ? client.audio.transcriptions.create({ ...upload, stream: true }, { signal: ac.signal }).then(async (s) => {
          // A stream answers at once; reading it ends with the abort.
          for await (const _ of s);
        })
      : client.audio.transcriptions.create(upload, { signal: ac.signal });
    const settled = request.then(
      () => null,
      (err: unknown) => err,
    );
    let task: TaskView | undefined;
    await svc.until(
      () => `the task of ${name} to be queued`,
      async () => {
        const list = await svc.json<{ tasks: TaskView[] }>('/v1/tasks?status=queued');
        task = list.tasks.find((t) => t.source_name === name);
        return task !== undefined;
      },
      { timeoutMs: 30_000 },
    );
    ac.abort();
    // The SDK ends an aborted stream's iteration quietly; an aborted wait rejects.
    if (stream) expect(await settled).toBeNull();
    else expect(await settled).toBeInstanceOf(APIUserAbortError);
    return task as TaskView;
  }

  it('gets its task cancelled, waiting or streaming', async () => {
    await svc.json('/v1/admin/pause', { method: 'POST' }, 'root');
    try {
      for (const [name, stream] of [
        ['leave-wait.wav', false],
        ['leave-stream.wav', true],
      ] as const) {
        const task = await leave(name, stream);
        const ended = await svc.waitForTask(task.id, (t) => t.status !== 'queued', 30_000);
        expect(ended.status).toBe('cancelled');
      }
    } finally {
      await svc.json('/v1/admin/resume', { method: 'POST' }, 'root');
    }
  });
});
