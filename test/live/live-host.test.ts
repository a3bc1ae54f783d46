import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engines/engine.js';
import { EngineTurnRecognizer } from '../../src/engines/engine-turn-recognizer.js';
import { LIVE_ERRORS } from '../../src/live/live-errors.js';
import { DEFAULT_TURN_DETECTION, MAX_TURN_SECONDS } from '../../src/live/live-settings.js';
import type { LiveVad } from '../../src/live/worker/live-vad.js';
import { loadSileroVad } from '../../src/live/worker/live-vad.js';
import { HostHarness, MANUAL_16K, ScriptedRecognizer } from './live-harness.js';

/*
 * Queue and lifecycle mechanics of LiveHost/LiveSession. The recognizer here is a scripted double:
 * these tests claim nothing about recognition (live-session.test.ts does, with PocketSphinx).
 */

const silence = (seconds: number) => new Int16Array(16000 * seconds);

/** A promise and its resolver, to hold a call until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

describe('LiveHost lifecycle', () => {
  it('close releases the recognizer and the VAD, emits closed once and removes the session', async () => {
    const rec = new ScriptedRecognizer();
    let vadReleases = 0;
    const h = new HostHarness({
      recognizers: () => rec,
      loadVad: async (): Promise<LiveVad> => {
        const vad = await loadSileroVad();
        return {
          push: (pcm) => vad.push(pcm),
          release: async () => {
            vadReleases += 1;
            await vad.release();
          },
        };
      },
    });
    h.open('s', { inputRate: 16000, language: 'en', turnDetection: { ...DEFAULT_TURN_DETECTION } });
    expect(h.host.size).toBe(1);
    h.audio('s', silence(1), 1600);
    await h.untilCount('s', 'consumed', 10);
    await h.close('s');
    h.host.handle({ type: 'live.close', sessionId: 's' });
    expect(rec.releases).toBe(1);
    expect(vadReleases).toBe(1);
    expect(h.host.size).toBe(0);
    expect(h.outputs('s').filter((o) => o.kind === 'closed')).toHaveLength(1);
    expect(h.outputs('s').at(-1)).toEqual({ kind: 'closed' });
  });

  it('a recognizer failure ends the session: engine_failed (fatal), then closed, everything released', async () => {
    const rec = new ScriptedRecognizer();
    rec.failFeed = true;
    const h = new HostHarness({ recognizers: () => rec });
    h.open('s', MANUAL_16K);
    h.audio('s', silence(1), 1600);
    h.host.handle({ type: 'live.commit', sessionId: 's' });
    await h.until('s', (o) => o.kind === 'closed');
    expect(h.outputs('s')).toEqual([
      { kind: 'error', code: 'engine_failed', message: LIVE_ERRORS.engine_failed.message, fatal: true },
      { kind: 'closed' },
    ]);
    expect(rec.releases).toBe(1);
    expect(h.host.size).toBe(0);
    // Later commands for the gone session are ignored, not crashes.
    h.audio('s', silence(0.1), 1600);
    h.host.handle({ type: 'live.close', sessionId: 's' });
    expect(h.outputs('s')).toHaveLength(2);
  });

  it('an engine that fails to load through the engine-turn adapter ends the session the same way', async () => {
    const broken: Engine = {
      name: 'broken',
      load: async () => {
        throw new Error('no such model');
      },
      recognize: async () => [],
      release: async () => {},
    };
    let released = 0;
    const h = new HostHarness({
      recognizers: () => {
        const r = new EngineTurnRecognizer(broken, 'en');
        r.release = async () => {
          released += 1;
        };
        return r;
      },
    });
    h.open('s', MANUAL_16K);
    await h.until('s', (o) => o.kind === 'closed');
    expect(h.outputs('s').map((o) => (o.kind === 'error' ? o.code : o.kind))).toEqual(['engine_failed', 'closed']);
    expect(released).toBe(1);
    expect(h.host.size).toBe(0);
  });

  it('refuses (fatal) a command queue past the hard cap, and drops what was queued', async () => {
    const load = gate();
    const rec = new ScriptedRecognizer({ loadGate: load.promise });
    const h = new HostHarness({ recognizers: () => rec, maxQueued: 5 });
    h.open('s', MANUAL_16K);
    // The load step is running; five audio messages fill the queue, the sixth is one too many.
    h.audio('s', silence(0.6), 1600);
    expect(h.outputs('s')).toEqual([
      { kind: 'error', code: 'internal_error', message: LIVE_ERRORS.internal_error.message, fatal: true },
    ]);
    load.open();
    await h.until('s', (o) => o.kind === 'closed');
    expect(h.outputs('s').map((o) => o.kind)).toEqual(['error', 'closed']);
    expect(rec.feeds).toEqual([]);
    expect(rec.releases).toBe(1);
    expect(h.host.size).toBe(0);
  });

  it('closeAll ends every session with server_shutting_down and refuses later opens', async () => {
    const h = new HostHarness({ recognizers: () => new ScriptedRecognizer() });
    h.open('a', MANUAL_16K);
    h.open('b', MANUAL_16K);
    h.audio('a', silence(0.5), 1600);
    await h.host.closeAll();
    expect(h.host.size).toBe(0);
    for (const id of ['a', 'b', 'late']) {
      if (id === 'late') h.open(id, MANUAL_16K);
      const tail = h.outputs(id).slice(-2);
      expect(tail).toEqual([
        { kind: 'error', code: 'server_shutting_down', message: LIVE_ERRORS.server_shutting_down.message, fatal: true },
        { kind: 'closed' },
      ]);
    }
    expect(h.host.size).toBe(0);
  });

  it('ignores commands for unknown sessions', () => {
    const h = new HostHarness({ recognizers: () => new ScriptedRecognizer() });
    h.host.handle({ type: 'live.audio', sessionId: 'nope', pcm: new Uint8Array(2) });
    h.host.handle({ type: 'live.commit', sessionId: 'nope' });
    h.host.handle({ type: 'live.close', sessionId: 'nope' });
    expect(h.reports).toEqual([]);
  });
});

describe('LiveSession turn mechanics', () => {
  it('sends partials every 200 ms of turn audio when the text changes, every 400 ms when it does not', async () => {
    // Text changes only in the first second; then stays the same.
    const rec = new ScriptedRecognizer({ partialText: (fed) => `words ${Math.min(fed, 16000)}` });
    const h = new HostHarness({ recognizers: () => rec });
    h.open('s', MANUAL_16K);
    h.audio('s', silence(3), 800); // 50 ms messages
    h.host.handle({ type: 'live.commit', sessionId: 's' });
    await h.until('s', (o) => o.kind === 'completed');
    const partials = h.outputs('s').filter((o) => o.kind === 'partial');
    // Asked at 200, 400, ... 3000 ms; changed text at 200..1000 ms (5), then liveness at 1400..3000 (5).
    expect(partials.map((p) => (p.kind === 'partial' ? p.text : ''))).toEqual([
      'words 3200',
      'words 6400',
      'words 9600',
      'words 12800',
      ...Array(6).fill('words 16000'),
    ]);
    await h.close('s');
  });

  it(`commits a manual turn at ${MAX_TURN_SECONDS} s and goes on in a new turn`, async () => {
    const rec = new ScriptedRecognizer();
    const h = new HostHarness({ recognizers: () => rec });
    h.open('s', MANUAL_16K);
    h.audio('s', silence(MAX_TURN_SECONDS + 2), 16000 * 7); // blocks that straddle the limit
    h.host.handle({ type: 'live.commit', sessionId: 's' });
    await h.untilCount('s', 'completed', 2);
    const done = h.outputs('s').filter((o) => o.kind === 'completed');
    expect(done.map((d) => (d.kind === 'completed' ? [d.turn, d.text, d.start, d.end] : []))).toEqual([
      [1, `fed ${MAX_TURN_SECONDS * 16000}`, 0, MAX_TURN_SECONDS],
      [2, `fed ${2 * 16000}`, MAX_TURN_SECONDS, MAX_TURN_SECONDS + 2],
    ]);
    await h.close('s');
  });

  it(`server VAD: a turn still speaking at ${MAX_TURN_SECONDS} s is committed there and speech goes on in turn 2`, async () => {
    // A VAD double that hears speech everywhere (frame mechanics only; real Silero is tested elsewhere).
    let filled = 0;
    const alwaysSpeech: LiveVad = {
      push: async (pcm) => {
        filled += pcm.length;
        const frames = Math.floor(filled / 512);
        filled -= frames * 512;
        return Array.from({ length: frames }, () => ({ prob: 0.99 }));
      },
      release: async () => {},
    };
    const h = new HostHarness({ recognizers: () => new ScriptedRecognizer(), loadVad: async () => alwaysSpeech });
    h.open('s', { inputRate: 16000, language: 'en', turnDetection: { ...DEFAULT_TURN_DETECTION } });
    h.audio('s', silence(MAX_TURN_SECONDS + 2), 1600);
    h.host.handle({ type: 'live.commit', sessionId: 's' });
    await h.untilCount('s', 'completed', 2);
    const limitMs = Math.floor((MAX_TURN_SECONDS * 16000) / 512) * 32; // the last whole frame that fits
    // A commit ends the turn at the last classified frame; the part-frame after it waits for the VAD.
    const endMs = Math.floor(((MAX_TURN_SECONDS + 2) * 16000) / 512) * 32;
    expect(h.events('s')).toEqual([
      { kind: 'speech_started', turn: 1, audioStartMs: 0 },
      { kind: 'speech_stopped', turn: 1, audioEndMs: limitMs },
      { kind: 'committed', turn: 1 },
      { kind: 'completed', turn: 1, text: `fed ${limitMs * 16}`, start: 0, end: limitMs / 1000, words: [] },
      { kind: 'speech_started', turn: 2, audioStartMs: limitMs },
      { kind: 'speech_stopped', turn: 2, audioEndMs: endMs },
      { kind: 'committed', turn: 2 },
      {
        kind: 'completed',
        turn: 2,
        text: `fed ${(endMs - limitMs) * 16}`,
        start: limitMs / 1000,
        end: endMs / 1000,
        words: [],
      },
    ]);
    await h.close('s');
  });

  it('applies a rate change before audio and refuses one after, without ending the session', async () => {
    const h = new HostHarness({ recognizers: () => new ScriptedRecognizer() });
    h.open('s', MANUAL_16K);
    h.host.handle({ type: 'live.update', sessionId: 's', settings: { ...MANUAL_16K, inputRate: 24000 } });
    h.audio('s', new Int16Array(24000), 2400); // 1 s at 24 kHz
    h.host.handle({ type: 'live.update', sessionId: 's', settings: MANUAL_16K });
    h.host.handle({ type: 'live.commit', sessionId: 's' });
    await h.until('s', (o) => o.kind === 'completed');
    const events = h.events('s');
    expect(events[0]).toMatchObject({ kind: 'error', code: 'invalid_session_config', fatal: false });
    // 1 s at 24 kHz became 1 s of session time (less the resampler's 2 ms lookahead).
    expect(events.at(-1)).toMatchObject({ kind: 'completed', text: `fed ${16000 - 32}`, start: 0, end: 0.998 });
    await h.close('s');
  });
});
