/**
 * GET /v1/realtime against `earshot serve` with a real worker process and the real engine: every
 * protocol message, both sample rates, manual and server-VAD turns, and the refusals. Recognition
 * claims are WER bounds against the LibriVox references, never exact text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wordErrorRate } from '../../../src/core/wer.js';
import { type LiveEvent, LiveSocket } from '../../helpers/live-socket.js';
import { type Service, startService } from '../../helpers/service/index.js';
import { concat, type LiveClip, liveClips, silence } from './live-audio.js';

/** PocketSphinx's per-clip bound in test/engines/pocketsphinx.test.ts. */
const MAX_WER = 0.5;
const MAX_MESSAGE = 256 * 1024;

let svc: Service;
let clips: LiveClip[];

beforeAll(async () => {
  clips = liveClips();
  svc = await startService({ env: { EARSHOT_CONCURRENCY: 1, EARSHOT_LIVE_MAX_MESSAGE_BYTES: MAX_MESSAGE } });
});

afterAll(async () => {
  await svc?.stop();
});

const open = async (opts: Parameters<typeof LiveSocket.connect>[1] = {}): Promise<LiveSocket> => {
  const s = await LiveSocket.connect(svc.url, { token: svc.tokens.alice, ...opts });
  await s.next('session.created');
  return s;
};

const manual16k = {
  type: 'session.update',
  session: {
    type: 'transcription',
    audio: { input: { format: { type: 'audio/pcm', rate: 16000 }, turn_detection: null } },
  },
};

const errorCode = (e: LiveEvent): string => (e.error as { code: string }).code;
const nextError = (s: LiveSocket) => s.next('error').then(errorCode);

describe('authentication', () => {
  it('refuses a handshake without a token or with a wrong one (HTTP 401, no socket)', async () => {
    await expect(LiveSocket.connect(svc.url)).rejects.toMatchObject({ status: 401 });
    await expect(LiveSocket.connect(svc.url, { token: 'nope' })).rejects.toMatchObject({ status: 401 });
    await expect(LiveSocket.connect(svc.url, { token: 'nope', tokenIn: 'protocol' })).rejects.toMatchObject({
      status: 401,
    });
  });

  it.each(['header', 'query', 'protocol'] as const)('accepts the token in the %s', async (tokenIn) => {
    const s = await open({ tokenIn });
    // A browser fails the connection unless the server picks an offered protocol; never the key.
    expect(s.ws.protocol).toBe('realtime');
    s.close();
  });
});

describe('session configuration', () => {
  it('starts as an OpenAI transcription session (24 kHz PCM16, server VAD) and applies session.update', async () => {
    const s = await LiveSocket.connect(svc.url, { token: svc.tokens.alice });
    const created = await s.next('session.created');
    expect(created.event_id).toEqual(expect.any(String));
    expect(created.session).toMatchObject({
      type: 'transcription',
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: 24000 },
          transcription: { model: 'pocketsphinx', language: 'en' },
          turn_detection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 },
        },
      },
    });
    s.send({
      type: 'session.update',
      session: {
        type: 'transcription',
        audio: {
          input: {
            format: { type: 'audio/pcm', rate: 16000 },
            turn_detection: { type: 'server_vad', silence_duration_ms: 300 },
          },
        },
      },
    });
    const updated = await s.next('session.updated');
    expect(updated.session).toMatchObject({
      audio: {
        input: {
          format: { rate: 16000 },
          turn_detection: { type: 'server_vad', silence_duration_ms: 300, threshold: 0.5 },
        },
      },
    });
    s.send({
      type: 'transcription_session.update',
      session: {
        input_audio_format: 'pcm16',
        input_audio_transcription: { model: 'whisper-1', language: 'en' },
        turn_detection: null,
      },
    });
    const beta = await s.next('transcription_session.updated');
    expect(beta.session).toMatchObject({ input_audio_format: 'pcm16', turn_detection: null });
    s.close();
  });

  it('refuses unsupported formats, languages and turn detection, keeping the session and its settings', async () => {
    const s = await open();
    s.send({
      type: 'session.update',
      session: { type: 'transcription', audio: { input: { format: { type: 'audio/pcmu' } } } },
    });
    expect(await nextError(s)).toBe('unsupported_audio_format');
    s.send({
      type: 'session.update',
      session: { type: 'transcription', audio: { input: { format: { type: 'audio/pcm', rate: 8000 } } } },
    });
    expect(await nextError(s)).toBe('unsupported_audio_format');
    s.send({ type: 'transcription_session.update', session: { input_audio_format: 'g711_ulaw' } });
    expect(await nextError(s)).toBe('unsupported_audio_format');
    s.send({
      type: 'session.update',
      session: { type: 'transcription', audio: { input: { transcription: { language: 'fr' } } } },
    });
    expect(await nextError(s)).toBe('unsupported_language');
    s.send({
      type: 'session.update',
      session: { type: 'transcription', audio: { input: { turn_detection: { type: 'semantic_vad' } } } },
    });
    expect(await nextError(s)).toBe('invalid_session_config');
    s.send({ type: 'session.update', session: { type: 'realtime' } });
    expect(await nextError(s)).toBe('invalid_session_config');
    // Nothing above changed anything.
    s.send({ type: 'session.update', session: { type: 'transcription' } });
    const updated = await s.next('session.updated');
    expect(updated.session).toMatchObject({
      audio: {
        input: { format: { rate: 24000 }, transcription: { language: 'en' }, turn_detection: { type: 'server_vad' } },
      },
    });
    expect(s.closed).toBeNull();
    s.close();
  });
});

describe('refused messages: an error event with a code, and the session goes on', () => {
  it('malformed JSON, unknown types, bad shapes, bad base64, odd byte counts, binary frames, oversized messages', async () => {
    const s = await open();
    s.sendRaw('{not json');
    expect(await nextError(s)).toBe('invalid_json');
    s.send({ type: 'response.create' });
    expect(await nextError(s)).toBe('unknown_event_type');
    s.send({ type: 'input_audio_buffer.append', audio: 42 });
    expect(await nextError(s)).toBe('invalid_event');
    s.send({ type: 'input_audio_buffer.append', audio: 'not base64!' });
    expect(await nextError(s)).toBe('invalid_audio');
    s.send({ type: 'input_audio_buffer.append', audio: Buffer.from([1, 2, 3]).toString('base64') });
    expect(await nextError(s)).toBe('invalid_audio');
    s.sendRaw(Buffer.from([0, 1, 2, 3]), true);
    expect(await nextError(s)).toBe('binary_message');
    s.sendRaw(JSON.stringify({ type: 'input_audio_buffer.append', audio: 'A'.repeat(MAX_MESSAGE + 4) }));
    const tooLarge = await s.next('error');
    expect(errorCode(tooLarge)).toBe('message_too_large');
    // The session still works.
    s.send({ type: 'input_audio_buffer.clear' });
    await s.next('input_audio_buffer.cleared');
    expect(s.closed).toBeNull();
    s.close();
  });

  it('closes with 1009 a message over twice the limit, before reading it whole', async () => {
    const s = await open();
    s.sendRaw(JSON.stringify({ type: 'input_audio_buffer.append', audio: 'A'.repeat(2 * MAX_MESSAGE + 4) }));
    expect((await s.waitClosed()).code).toBe(1009);
  });

  it('answers a commit with nothing to commit with input_audio_buffer_commit_empty', async () => {
    const s = await open();
    s.send(manual16k);
    await s.next('session.updated');
    s.send({ type: 'input_audio_buffer.commit', event_id: 'evt_commit_1' });
    const err = await s.next('error');
    expect(err.error).toMatchObject({ code: 'input_audio_buffer_commit_empty' });
    expect(s.closed).toBeNull();
    s.close();
  });
});

describe('turns', () => {
  it('manual turns at 16 kHz: deltas while audio arrives, then committed and completed with word timings', async () => {
    const [a, b] = clips as [LiveClip, LiveClip];
    const s = await open();
    s.send(manual16k);
    await s.next('session.updated');
    s.appendPcm(a.pcm, 16000);
    s.send({ type: 'input_audio_buffer.commit' });
    const committed = await s.next('input_audio_buffer.committed');
    expect(committed.previous_item_id).toBeNull();
    const done = await s.next('conversation.item.input_audio_transcription.completed');
    expect(done.item_id).toBe(committed.item_id);
    expect(done.content_index).toBe(0);
    expect(wordErrorRate(a.reference, done.transcript as string).wer).toBeLessThan(MAX_WER);
    const deltas = s.all('conversation.item.input_audio_transcription.delta').filter((d) => d.item_id === done.item_id);
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.some((d) => String(d.partial).length > 0)).toBe(true);
    expect(done.start).toBe(0);
    expect(done.end as number).toBeCloseTo(a.seconds, 1);
    const words = done.words as Array<{ word: string; start: number; end: number }>;
    expect(words.map((w) => w.word).join(' ')).toBe(done.transcript);
    for (const w of words) {
      expect(w.start).toBeGreaterThanOrEqual(0);
      expect(w.end).toBeLessThanOrEqual(a.seconds + 0.05);
      expect(w.end).toBeGreaterThanOrEqual(w.start);
    }

    // The second turn starts in session time where the first ended, and chains item ids.
    s.appendPcm(b.pcm, 16000);
    s.send({ type: 'input_audio_buffer.commit' });
    const committed2 = await s.next('input_audio_buffer.committed');
    expect(committed2.previous_item_id).toBe(committed.item_id);
    const done2 = await s.next('conversation.item.input_audio_transcription.completed');
    expect(done2.start as number).toBeCloseTo(a.seconds, 1);
    expect(done2.end as number).toBeCloseTo(a.seconds + b.seconds, 1);
    expect(wordErrorRate(b.reference, done2.transcript as string).wer).toBeLessThan(MAX_WER);
    s.close();
  });

  it('clear drops the uncommitted audio: no transcript for it', async () => {
    const [a, b] = clips as [LiveClip, LiveClip];
    const s = await open();
    s.send(manual16k);
    await s.next('session.updated');
    s.appendPcm(a.pcm, 16000);
    s.send({ type: 'input_audio_buffer.clear' });
    await s.next('input_audio_buffer.cleared');
    s.appendPcm(b.pcm, 16000);
    s.send({ type: 'input_audio_buffer.commit' });
    const done = await s.next('conversation.item.input_audio_transcription.completed');
    expect(wordErrorRate(b.reference, done.transcript as string).wer).toBeLessThan(MAX_WER);
    expect(s.all('conversation.item.input_audio_transcription.completed')).toHaveLength(1);
    s.close();
  });

  it('server VAD at 24 kHz: two utterances with a pause make two turns, each bracketed by its speech', async () => {
    const [, , c, d] = clips as [LiveClip, LiveClip, LiveClip, LiveClip];
    const lead = 0.6;
    const gap = 2;
    const audio = concat([silence(lead, 24000), c.pcm24, silence(gap, 24000), d.pcm24, silence(gap, 24000)]);
    const s = await open();
    // Readers pause within a sentence too; a 1 s silence ends a turn only between the clips.
    s.send({
      type: 'session.update',
      session: {
        type: 'transcription',
        audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: 1000 } } },
      },
    });
    await s.next('session.updated');
    s.appendPcm(audio, 24000);
    const completed = await s.count('conversation.item.input_audio_transcription.completed', 2);
    const started = s.all('input_audio_buffer.speech_started');
    expect(started).toHaveLength(2);
    const stopped = s.all('input_audio_buffer.speech_stopped');
    const committed = s.all('input_audio_buffer.committed');
    expect(stopped).toHaveLength(2);
    expect(committed).toHaveLength(2);
    const bStart = (lead + c.seconds + gap) * 1000;
    // Speech starts within the real speech of each clip (padding may reach back into the pause).
    expect(started[0]?.audio_start_ms as number).toBeLessThan(lead * 1000 + 500);
    expect(started[1]?.audio_start_ms as number).toBeGreaterThan((lead + c.seconds) * 1000);
    expect(started[1]?.audio_start_ms as number).toBeLessThan(bStart + 500);
    expect(stopped[0]?.audio_end_ms as number).toBeGreaterThan((lead + c.seconds) * 1000 - 700);
    expect(stopped[0]?.audio_end_ms as number).toBeLessThan(bStart);
    for (let i = 0; i < 2; i++) {
      expect(stopped[i]?.item_id).toBe(started[i]?.item_id);
      expect(committed[i]?.item_id).toBe(started[i]?.item_id);
      expect(completed[i]?.item_id).toBe(started[i]?.item_id);
    }
    expect(committed[1]?.previous_item_id).toBe(committed[0]?.item_id);
    expect(wordErrorRate(c.reference, completed[0]?.transcript as string).wer).toBeLessThan(MAX_WER);
    expect(wordErrorRate(d.reference, completed[1]?.transcript as string).wer).toBeLessThan(MAX_WER);
    s.close();
  });
});

describe('finishing and saving', () => {
  it('earshot.session.finish commits what is left, and ?save=true keeps the session as a succeeded task', async () => {
    const [a] = clips as [LiveClip];
    const s = await open({ query: { save: 'true' } });
    s.send(manual16k);
    await s.next('session.updated');
    s.appendPcm(a.pcm, 16000);
    s.send({ type: 'earshot.session.finish' });
    const done = await s.next('conversation.item.input_audio_transcription.completed');
    const finished = await s.next('earshot.session.finished');
    expect((await s.waitClosed()).code).toBe(1000);
    const taskId = finished.task_id as string;
    expect(taskId).toEqual(expect.any(String));
    const task = await svc.task(taskId);
    expect(task.status).toBe('succeeded');
    expect(task.duration_seconds as number).toBeCloseTo(a.seconds, 1);
    const transcript = await svc.transcript(taskId);
    expect(transcript.text).toBe(done.transcript);
    const srt = await svc.request(`/v1/tasks/${taskId}/transcript?format=srt`);
    expect(srt.status).toBe(200);
    expect(await srt.text()).toContain('-->');
    const media = await svc.request(`/v1/tasks/${taskId}/media`);
    expect(media.status).toBe(200);
  });

  it('without ?save the finished session stores nothing', async () => {
    const [a] = clips as [LiveClip];
    const before = (await svc.json<{ total: number }>('/v1/tasks')).total;
    const s = await open();
    s.send(manual16k);
    await s.next('session.updated');
    s.appendPcm(a.pcm, 16000);
    s.send({ type: 'earshot.session.finish' });
    const finished = await s.next('earshot.session.finished');
    expect(finished.task_id).toBeNull();
    expect((await svc.json<{ total: number }>('/v1/tasks')).total).toBe(before);
  });
});
