import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { combineWer, type WerResult, wordErrorRate } from '../../src/core/wer.js';
import { EngineTurnRecognizer } from '../../src/engines/engine-turn-recognizer.js';
import { PocketSphinxEngine } from '../../src/engines/pocketsphinx/pocketsphinx.engine.js';
import type { LiveOutput } from '../../src/live/live-messages.js';
import { DEFAULT_TURN_DETECTION, type LiveSettings } from '../../src/live/live-settings.js';
import {
  type Clip,
  ensureNativeServer,
  LIBRIVOX_DIR,
  loadLibrivox,
  TEST_ENGINE_DEADLINES,
} from '../engines/librivox.js';
import { countingReleases, HostHarness, MANUAL_16K } from './live-harness.js';

/*
 * Live sessions on real speech: the real PocketSphinx engine through the engine-turn adapter, real
 * Silero VAD, real LibriVox clips. Every wait resolves on a reported event, never on time.
 */

let clips: Clip[];
/** Each clip's first word start and last word end (s), from the batch engine on the whole clip. */
const speech = new Map<string, { start: number; end: number }>();

const pocketsphinx = () => new EngineTurnRecognizer(new PocketSphinxEngine(TEST_ENGINE_DEADLINES), 'en');
const VAD_16K: LiveSettings = { inputRate: 16000, language: 'en', turnDetection: { ...DEFAULT_TURN_DETECTION } };
/** 100 ms messages, as a client streaming a microphone sends them. */
const BLOCK_16K = 1600;

const completedOf = (outs: LiveOutput[]) =>
  outs.filter((o): o is Extract<LiveOutput, { kind: 'completed' }> => o.kind === 'completed');

beforeAll(async () => {
  ensureNativeServer();
  clips = loadLibrivox();
  const engine = new PocketSphinxEngine(TEST_ENGINE_DEADLINES);
  await engine.load();
  for (const clip of clips) {
    const words = (await engine.recognize(clip.pcm, { language: 'en' })).flatMap((s) => s.words);
    speech.set(clip.id, { start: words[0]?.start ?? 0, end: words.at(-1)?.end ?? 0 });
  }
  await engine.release();
});

let harness: HostHarness | null = null;
afterAll(async () => {
  await harness?.host.closeAll();
});

describe('LiveSession with server VAD', () => {
  it('splits two clips separated by 1 s of silence into two turns, events in order, times bracketing the speech', async () => {
    const [a, b] = clips as [Clip, Clip];
    const gap = 16000;
    const offsetB = a.pcm.length + gap;
    const recording = new Int16Array(offsetB + b.pcm.length + gap);
    recording.set(a.pcm);
    recording.set(b.pcm, offsetB);

    const releases = countingReleases(pocketsphinx);
    harness = new HostHarness({ recognizers: releases.factory });
    harness.open('vad', VAD_16K);
    harness.audio('vad', recording, BLOCK_16K);
    await harness.untilCount('vad', 'consumed', Math.ceil(recording.length / BLOCK_16K));

    const events = harness.events('vad');
    expect(events.map((e) => `${e.kind}${'turn' in e ? e.turn : ''}`)).toEqual([
      'speech_started1',
      'speech_stopped1',
      'committed1',
      'completed1',
      'speech_started2',
      'speech_stopped2',
      'committed2',
      'completed2',
    ]);
    const sa = speech.get(a.id) as { start: number; end: number };
    const sb = speech.get(b.id) as { start: number; end: number };
    const [start1, stop1, , , start2, stop2] = events as [
      Extract<LiveOutput, { kind: 'speech_started' }>,
      Extract<LiveOutput, { kind: 'speech_stopped' }>,
      LiveOutput,
      LiveOutput,
      Extract<LiveOutput, { kind: 'speech_started' }>,
      Extract<LiveOutput, { kind: 'speech_stopped' }>,
    ];
    // Turn 1 brackets clip A's words and ends inside the gap; turn 2 starts inside the gap (prefix
    // padding reaches back at most 300 ms) and brackets clip B's words. Session time is in ms.
    expect(start1.audioStartMs).toBeLessThanOrEqual(sa.start * 1000);
    expect(stop1.audioEndMs).toBeGreaterThanOrEqual(sa.end * 1000);
    expect(stop1.audioEndMs).toBeLessThan(a.pcm.length / 16 + 1000);
    expect(start2.audioStartMs).toBeGreaterThan(stop1.audioEndMs);
    expect(start2.audioStartMs).toBeGreaterThanOrEqual(
      a.pcm.length / 16 + 1000 - DEFAULT_TURN_DETECTION.prefixPaddingMs - 32,
    );
    expect(start2.audioStartMs).toBeLessThanOrEqual(offsetB / 16 + sb.start * 1000);
    expect(stop2.audioEndMs).toBeGreaterThanOrEqual(offsetB / 16 + sb.end * 1000);

    const [done1, done2] = completedOf(events) as [
      Extract<LiveOutput, { kind: 'completed' }>,
      Extract<LiveOutput, { kind: 'completed' }>,
    ];
    expect(wordErrorRate(a.reference, done1.text).wer).toBeLessThan(0.5);
    expect(wordErrorRate(b.reference, done2.text).wer).toBeLessThan(0.5);
    // Word times are session time: each turn's words lie inside that turn's audio.
    for (const [done, start, stop] of [
      [done1, start1, stop1],
      [done2, start2, stop2],
    ] as const) {
      expect(done.start).toBe(start.audioStartMs / 1000);
      expect(done.end).toBe(stop.audioEndMs / 1000);
      expect(done.words.length).toBeGreaterThan(0);
      expect(done.words[0]?.start).toBeGreaterThanOrEqual(done.start);
    }
    const consumed = harness.outputs('vad').filter((o) => o.kind === 'consumed');
    expect(consumed.reduce((n, o) => n + (o.kind === 'consumed' ? o.bytes : 0), 0)).toBe(recording.byteLength);

    await harness.close('vad');
    expect(releases.released()).toBe(1);
    expect(harness.host.size).toBe(0);
    expect(harness.outputs('vad').filter((o) => o.kind === 'closed')).toHaveLength(1);
  });
});

describe('LiveSession with manual turns', () => {
  it('commits and recognises a turn, refuses an empty commit, clears a turn without a result', async () => {
    const [a, b, c] = clips as [Clip, Clip, Clip];
    harness = new HostHarness({ recognizers: pocketsphinx });
    const id = 'manual';
    harness.open(id, MANUAL_16K);

    harness.audio(id, a.pcm, BLOCK_16K);
    harness.host.handle({ type: 'live.commit', sessionId: id });
    await harness.untilCount(id, 'completed', 1);
    harness.host.handle({ type: 'live.commit', sessionId: id });
    harness.audio(id, b.pcm, BLOCK_16K);
    harness.host.handle({ type: 'live.clear', sessionId: id });
    harness.host.handle({ type: 'live.commit', sessionId: id });
    harness.audio(id, c.pcm, BLOCK_16K);
    harness.host.handle({ type: 'live.commit', sessionId: id });
    await harness.untilCount(id, 'completed', 2);

    const events = harness.events(id);
    expect(events.map((e) => e.kind)).toEqual([
      'committed',
      'completed',
      'error',
      'cleared',
      'error',
      'committed',
      'completed',
    ]);
    for (const e of events.filter((o) => o.kind === 'error')) {
      expect(e).toMatchObject({ code: 'input_audio_buffer_commit_empty', fatal: false });
    }
    const [first, second] = completedOf(events) as [
      Extract<LiveOutput, { kind: 'completed' }>,
      Extract<LiveOutput, { kind: 'completed' }>,
    ];
    expect(wordErrorRate(a.reference, first.text).wer).toBeLessThan(0.5);
    expect(wordErrorRate(c.reference, second.text).wer).toBeLessThan(0.5);
    // Session time counts every sample received, the cleared ones too.
    expect(first.start).toBe(0);
    expect(first.end).toBeCloseTo(a.seconds, 6);
    const cStart = (a.pcm.length + b.pcm.length) / 16000;
    expect(second.start).toBeCloseTo(cStart, 6);
    expect(second.end).toBeCloseTo(cStart + c.seconds, 6);
    expect(second.words[0]?.start).toBeGreaterThanOrEqual(cStart);
    expect(second.turn).toBeGreaterThan(first.turn);
    await harness.close(id);
    expect(harness.host.size).toBe(0);
  });
});

describe('LiveSession at 24 kHz', () => {
  /** A clip as ffmpeg resamples it to 24 kHz s16le, the way a browser client would send it. */
  const at24k = (clip: Clip): Int16Array => {
    const out = execFileSync(
      'ffmpeg',
      ['-v', 'error', '-i', join(LIBRIVOX_DIR, `${clip.id}.wav`), '-ar', '24000', '-ac', '1', '-f', 's16le', '-'],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    return new Int16Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
  };

  /** Overall WER of the five clips sent as manual turns of one session at `rate`. */
  const sessionWer = async (rate: 16000 | 24000): Promise<number> => {
    const id = `rate-${rate}`;
    harness = new HostHarness({ recognizers: pocketsphinx });
    harness.open(id, { ...MANUAL_16K, inputRate: rate });
    for (const clip of clips) {
      // A few hundred ms of silence after each clip: the resampler holds back 2 ms of lookahead.
      const pcm = rate === 24000 ? at24k(clip) : clip.pcm;
      const padded = new Int16Array(pcm.length + rate / 4);
      padded.set(pcm);
      harness.audio(id, padded, rate / 10);
      harness.host.handle({ type: 'live.commit', sessionId: id });
    }
    await harness.untilCount(id, 'completed', clips.length);
    const results: WerResult[] = completedOf(harness.outputs(id)).map((done, i) =>
      wordErrorRate((clips[i] as Clip).reference, done.text),
    );
    await harness.close(id);
    return combineWer(results).wer;
  };

  it('recognises 24 kHz input within 3 WER points of the same clips at 16 kHz', async () => {
    const wer16 = await sessionWer(16000);
    const wer24 = await sessionWer(24000);
    console.log(`live WER 16 kHz ${(wer16 * 100).toFixed(1)}%, 24 kHz ${(wer24 * 100).toFixed(1)}%`);
    expect(wer16).toBeLessThan(0.35);
    expect(Math.abs(wer24 - wer16)).toBeLessThanOrEqual(0.03);
  });
});
