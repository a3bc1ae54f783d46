/**
 * The limits of live sessions, each observed on a real `earshot serve`: the session cap (refused,
 * never queued), idle timeout, maximum length, a client that sends audio far faster than real
 * time (the server stops reading; the audio it holds stays under the bound), a client that does
 * not read (closed), and an abrupt disconnect freeing its slot within a second.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIVE_ERRORS } from '../../../src/live/live-errors.js';
import { type LiveEvent, LiveSocket } from '../../helpers/live-socket.js';
import { type Service, startService } from '../../helpers/service/index.js';
import { concat, type LiveClip, liveClips } from './live-audio.js';

const MAX_SESSIONS = 2;
const IDLE_SECONDS = 2;
const BUFFERED_SECONDS = 2;
const MAX_OUTGOING = 64 * 1024;

let svc: Service;
let clips: LiveClip[];

beforeAll(async () => {
  clips = liveClips();
  svc = await startService({
    env: {
      EARSHOT_CONCURRENCY: 1,
      EARSHOT_LIVE_MAX_SESSIONS: MAX_SESSIONS,
      EARSHOT_LIVE_IDLE_TIMEOUT_SECONDS: IDLE_SECONDS,
      EARSHOT_LIVE_MAX_BUFFERED_SECONDS: BUFFERED_SECONDS,
      EARSHOT_LIVE_MAX_OUTGOING_BYTES: MAX_OUTGOING,
    },
  });
});

afterAll(async () => {
  await svc?.stop();
});

const open = async (): Promise<LiveSocket> => {
  const s = await LiveSocket.connect(svc.url, { token: svc.tokens.alice });
  await s.next((e) => e.type === 'session.created' || e.type === 'error');
  return s;
};

/** A gauge from GET /metrics. */
async function gauge(name: string): Promise<number> {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no ${name} in /metrics`);
  return Number(line.split(' ')[1]);
}

async function waitForGauge(name: string, pred: (v: number) => boolean): Promise<void> {
  await svc.until(`${name} to match`, async () => pred(await gauge(name)), { timeoutMs: 30_000 });
}

const errorCode = (e: LiveEvent): string => (e.error as { code: string }).code;

describe('live session limits', () => {
  it('refuses the session over the cap with session_limit_reached and close 1013, and an abrupt disconnect frees a slot within a second', async () => {
    await waitForGauge('earshot_live_sessions', (v) => v === 0);
    const held = [await open(), await open()];
    const third = await open();
    const refused = third.events[0] as LiveEvent;
    expect(refused.type).toBe('error');
    expect(errorCode(refused)).toBe('session_limit_reached');
    expect((await third.waitClosed()).code).toBe(LIVE_ERRORS.session_limit_reached.closeCode);

    const t0 = Date.now();
    held[0]?.destroy();
    await waitForGauge('earshot_live_sessions', (v) => v === MAX_SESSIONS - 1);
    expect(Date.now() - t0).toBeLessThan(1000);
    const again = await open();
    expect(again.events[0]?.type).toBe('session.created');
    again.close();
    held[1]?.close();
    await waitForGauge('earshot_live_sessions', (v) => v === 0);
  });

  it('closes a session that sends nothing for the idle timeout', async () => {
    const s = await open();
    const err = await s.next('error', (IDLE_SECONDS + 10) * 1000);
    expect(errorCode(err)).toBe('idle_timeout');
    expect((await s.waitClosed()).code).toBe(LIVE_ERRORS.idle_timeout.closeCode);
  });

  it('stops reading a client that sends audio far faster than real time: held audio stays bounded and all of it is recognised', async () => {
    const s = await open();
    s.send({
      type: 'session.update',
      session: {
        type: 'transcription',
        audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, turn_detection: null } },
      },
    });
    await s.next('session.updated');
    // About 50 s of speech, sent at once in 1 s messages.
    const speech = concat([...clips, ...clips].map((c) => c.pcm24));
    const messageBytes = 24000 * 2;
    s.appendPcm(speech, 24000, 1000);
    s.send({ type: 'input_audio_buffer.commit' });
    let peak = 0;
    let done = false;
    const completed = s.next('conversation.item.input_audio_transcription.completed', 120_000).finally(() => {
      done = true;
    });
    while (!done) {
      peak = Math.max(peak, await gauge('earshot_live_buffered_bytes'));
    }
    const turn = await completed;
    // The server holds at most the bound plus what was already read when it paused the socket (the
    // message that crossed the bound and the frames of that socket read); the rest waits in TCP.
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(BUFFERED_SECONDS * messageBytes + 3 * messageBytes);
    expect(turn.end as number).toBeCloseTo(speech.length / 24000, 0);
    s.close();
  });

  it('closes a client that does not read its events (slow_consumer) instead of buffering them', async () => {
    const s = await open();
    // Stop reading: events pile up in the kernel buffers, then in the server's send buffer.
    s.ws.pause();
    const junk = '{';
    for (let i = 0; i < 60_000; i++) s.sendRaw(junk);
    await waitForGauge('earshot_live_sessions', (v) => v === 0);
    s.ws.resume();
    const closed = await s.waitClosed();
    expect([LIVE_ERRORS.slow_consumer.closeCode, 1006]).toContain(closed.code);
  });
});

describe('maximum session length', () => {
  let short: Service;
  beforeAll(async () => {
    short = await startService({ env: { EARSHOT_CONCURRENCY: 1, EARSHOT_LIVE_MAX_SESSION_SECONDS: 2 } });
  });
  afterAll(async () => {
    await short?.stop();
  });

  it('ends a session at its maximum length with session_expired, and says when in session.created', async () => {
    const s = await LiveSocket.connect(short.url, { token: short.tokens.alice });
    const created = await s.next('session.created');
    const expiresAt = (created.session as { expires_at: number }).expires_at;
    expect(expiresAt - Date.now() / 1000).toBeLessThanOrEqual(2.5);
    // Keep it busy so the idle timeout is not what ends it.
    const keepAlive = setInterval(() => s.send({ type: 'input_audio_buffer.clear' }), 200);
    try {
      const err = await s.next('error', 30_000);
      expect(errorCode(err)).toBe('session_expired');
      expect((await s.waitClosed()).code).toBe(LIVE_ERRORS.session_expired.closeCode);
    } finally {
      clearInterval(keepAlive);
    }
  });
});
