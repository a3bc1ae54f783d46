/**
 * Live sessions as a server runs many of them: two sessions with different settings and audio,
 * their messages interleaved at random, each get only their own text; a worker SIGKILLed
 * mid-session ends its sessions with worker_crashed while the other worker's session and the HTTP
 * API go on; 200 sessions opened and closed (half by dropping the connection) leave no slot,
 * buffer or process behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wordErrorRate } from '../../../src/core/wer.js';
import { LIVE_ERRORS } from '../../../src/live/live-errors.js';
import { type LiveEvent, LiveSocket } from '../../helpers/live-socket.js';
import { mulberry32 } from '../../helpers/prng.js';
import { childPids, type Service, startService } from '../../helpers/service/index.js';
import { concat, type LiveClip, liveClips, silence } from './live-audio.js';

const MAX_WER = 0.5;

let svc: Service;
let clips: LiveClip[];

beforeAll(async () => {
  clips = liveClips();
  svc = await startService({ env: { EARSHOT_WORKERS: 2, EARSHOT_CONCURRENCY: 1, EARSHOT_LIVE_MAX_SESSIONS: 16 } });
});

afterAll(async () => {
  await svc?.stop();
});

const open = async (): Promise<LiveSocket> => {
  const s = await LiveSocket.connect(svc.url, { token: svc.tokens.alice });
  await s.next('session.created');
  return s;
};

/** Base64 appends of `pcm` in `ms` pieces. */
function appends(pcm: Int16Array, rate: number, ms = 100): string[] {
  const step = Math.round((rate * ms) / 1000);
  const out: string[] = [];
  for (let i = 0; i < pcm.length; i += step) {
    const part = pcm.subarray(i, Math.min(pcm.length, i + step));
    out.push(
      JSON.stringify({
        type: 'input_audio_buffer.append',
        audio: Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('base64'),
      }),
    );
  }
  return out;
}

async function liveSessionsPerWorker(): Promise<number[]> {
  return (await svc.workers()).map((w) => w.live_sessions);
}

describe('isolation', () => {
  it('two concurrent sessions with different settings and audio, messages interleaved at random, each get only their own text', async () => {
    const [a, , c] = clips as [LiveClip, LiveClip, LiveClip];
    const one = await open();
    const two = await open();
    one.send({
      type: 'session.update',
      session: {
        type: 'transcription',
        audio: { input: { format: { type: 'audio/pcm', rate: 16000 }, turn_detection: null } },
      },
    });
    two.send({
      type: 'transcription_session.update',
      session: { input_audio_format: 'pcm16', turn_detection: { type: 'server_vad', silence_duration_ms: 1000 } },
    });
    await one.next('session.updated');
    await two.next('transcription_session.updated');
    const q1 = [...appends(a.pcm, 16000), JSON.stringify({ type: 'input_audio_buffer.commit' })];
    const q2 = appends(concat([silence(0.5, 24000), c.pcm24, silence(2, 24000)]), 24000);
    const random = mulberry32(1234);
    while (q1.length > 0 || q2.length > 0) {
      const pickOne = q2.length === 0 || (q1.length > 0 && random() < 0.5);
      if (pickOne) one.sendRaw(q1.shift() as string);
      else two.sendRaw(q2.shift() as string);
    }
    const t1 = (await one.next('conversation.item.input_audio_transcription.completed')).transcript as string;
    const t2 = (await two.next('conversation.item.input_audio_transcription.completed')).transcript as string;
    expect(wordErrorRate(a.reference, t1).wer).toBeLessThan(MAX_WER);
    expect(wordErrorRate(c.reference, t2).wer).toBeLessThan(MAX_WER);
    // Neither got the other's words.
    expect(wordErrorRate(c.reference, t1).wer).toBeGreaterThan(0.8);
    expect(wordErrorRate(a.reference, t2).wer).toBeGreaterThan(0.8);
    // Each only ever saw its own item ids.
    const items = (s: LiveSocket) => new Set(s.events.map((e) => e.item_id).filter((i) => i !== undefined));
    for (const id of items(one)) expect(items(two).has(id)).toBe(false);
    one.close();
    two.close();
  });
});

describe('a worker killed mid-session', () => {
  it('ends that worker’s session with worker_crashed (1011); the other worker’s session and the HTTP API go on', async () => {
    const [a, b] = clips as [LiveClip, LiveClip];
    await svc.waitForWorkers((ws) => ws.every((w) => w.state === 'idle' && w.live_sessions === 0));
    const first = await open();
    const second = await open();
    // Sessions go to the worker with the fewest: one each.
    expect((await liveSessionsPerWorker()).sort()).toEqual([1, 1]);
    const manual = {
      type: 'session.update',
      session: {
        type: 'transcription',
        audio: { input: { format: { type: 'audio/pcm', rate: 16000 }, turn_detection: null } },
      },
    };
    first.send(manual);
    second.send(manual);
    await first.next('session.updated');
    await second.next('session.updated');
    first.appendPcm(a.pcm, 16000);
    second.appendPcm(a.pcm, 16000);
    await first.count('conversation.item.input_audio_transcription.delta', 1);
    await second.count('conversation.item.input_audio_transcription.delta', 1);

    const workers = await svc.workers();
    // Each worker runs one of the two sessions; kill one and see which session it ends.
    const victim = workers[0] as { pid: number };
    process.kill(victim.pid, 'SIGKILL');
    // Each socket is watched by counting its events, not by pending next() calls that would
    // consume the other socket's events.
    await svc.until(
      'a session to report the crash',
      async () => first.all('error').length + second.all('error').length > 0,
      {
        timeoutMs: 30_000,
      },
    );
    const [dead, alive] = first.all('error').length > 0 ? [first, second] : [second, first];
    const ended = { s: dead, other: alive, e: dead.all('error')[0] as LiveEvent };
    expect((ended.e.error as { code: string }).code).toBe('worker_crashed');
    expect((await ended.s.waitClosed()).code).toBe(LIVE_ERRORS.worker_crashed.closeCode);
    expect((await fetch(`${svc.url}/health`)).ok).toBe(true);
    // The survivor finishes its turn and takes another.
    ended.other.send({ type: 'input_audio_buffer.commit' });
    const [t] = await ended.other.count('conversation.item.input_audio_transcription.completed', 1);
    expect(wordErrorRate(a.reference, t?.transcript as string).wer).toBeLessThan(MAX_WER);
    ended.other.appendPcm(b.pcm, 16000);
    ended.other.send({ type: 'input_audio_buffer.commit' });
    const [, t2] = await ended.other.count('conversation.item.input_audio_transcription.completed', 2);
    expect(wordErrorRate(b.reference, t2?.transcript as string).wer).toBeLessThan(MAX_WER);
    expect(ended.other.closed).toBeNull();
    ended.other.close();
    // The killed worker is restarted.
    await svc.waitForWorkers((ws) => ws.every((w) => w.state === 'idle' && w.pid !== victim.pid));
  });
});

describe('churn', () => {
  it('200 sessions opened and closed (half by dropping the connection) leave no slot, buffer or process behind', async () => {
    await svc.waitForWorkers((ws) => ws.every((w) => w.state === 'idle' && w.live_sessions === 0));
    const workerPids = await svc.workerPids();
    const processCount = () => workerPids.reduce((n, pid) => n + childPids(pid).length, 0);
    const before = processCount();
    const piece = (clips[0] as LiveClip).pcm24.subarray(0, 24000 / 2);
    const batch = 8;
    for (let i = 0; i < 200; i += batch) {
      const sessions = await Promise.all(Array.from({ length: batch }, () => open()));
      sessions.forEach((s, k) => {
        s.appendPcm(piece, 24000);
        if ((i + k) % 2 === 0) s.destroy();
        else s.close();
      });
      await Promise.all(sessions.map((s) => s.waitClosed()));
      // Slots come back when the worker has released each session (within a second).
      await svc.until('the batch to be released', async () => (await liveSessionsPerWorker()).every((n) => n === 0), {
        timeoutMs: 30_000,
      });
    }
    await svc.until(
      'every live session to be released',
      async () => (await liveSessionsPerWorker()).every((n) => n === 0),
      { timeoutMs: 30_000 },
    );
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/^earshot_live_sessions 0$/m);
    expect(metrics).toMatch(/^earshot_live_buffered_bytes 0$/m);
    await svc.until('session decoders to exit', async () => processCount() <= before, { timeoutMs: 30_000 });
    expect(processCount()).toBeLessThanOrEqual(before);
  });
});

describe('accuracy', () => {
  it('live mode on the five LibriVox clips is within 3 WER points of file mode', async () => {
    const { PocketSphinxEngine } = await import('../../../src/engines/pocketsphinx/pocketsphinx.engine.js');
    const { combineWer } = await import('../../../src/core/wer.js');
    const { TEST_ENGINE_DEADLINES } = await import('../../engines/librivox.js');
    const engine = new PocketSphinxEngine(TEST_ENGINE_DEADLINES);
    await engine.load();
    const file = [];
    try {
      for (const clip of clips) {
        const segments = await engine.recognize(clip.pcm, { language: 'en' });
        file.push(wordErrorRate(clip.reference, segments.map((s) => s.text).join(' ')));
      }
    } finally {
      await engine.release();
    }
    const s = await open();
    s.send({
      type: 'session.update',
      session: {
        type: 'transcription',
        audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, turn_detection: null } },
      },
    });
    await s.next('session.updated');
    const live = [];
    for (const [i, clip] of clips.entries()) {
      s.appendPcm(clip.pcm24, 24000);
      s.send({ type: 'input_audio_buffer.commit' });
      const done = await s.count('conversation.item.input_audio_transcription.completed', i + 1);
      live.push(wordErrorRate(clip.reference, done[i]?.transcript as string));
    }
    s.close();
    const fileWer = combineWer(file).wer;
    const liveWer = combineWer(live).wer;
    expect(liveWer - fileWer).toBeLessThanOrEqual(0.03);
  });
});
