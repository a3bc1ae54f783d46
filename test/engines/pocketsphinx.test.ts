import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, EngineConfigError, EngineError, UnsupportedLanguageError } from '../../src/core/errors/index.js';
import type { Segment } from '../../src/core/transcript.js';
import { combineWer, type WerResult, wordErrorRate } from '../../src/core/wer.js';
import { PocketSphinxEngine } from '../../src/engines/pocketsphinx/pocketsphinx.engine.js';
import { type Clip, ensureNativeServer, loadLibrivox, TEST_ENGINE_DEADLINES } from './librivox.js';

/**
 * Measured with Debian's en-us model and en-us.lm.bin on these five clips: 28.2% (20 errors in 71
 * reference words; per clip 36.4, 37.5, 28.6, 21.1, 12.5%). Decoding is deterministic (each chunk
 * is its own stream), so the bound only needs room for a model or library update: 35% allows about
 * four more errors, while a broken sample format or frame mapping lands near 100%.
 */
const MAX_OVERALL_WER = 0.35;
const MAX_CLIP_WER = 0.5;

let clips: Clip[];
let engine: PocketSphinxEngine;
let tmp: string;
/** Each clip's result from one sequential pass, decoded once and compared against below. */
const baseline = new Map<string, Segment[]>();

beforeAll(async () => {
  ensureNativeServer();
  clips = loadLibrivox();
  tmp = mkdtempSync(join(tmpdir(), 'earshot-ps-'));
  engine = new PocketSphinxEngine(TEST_ENGINE_DEADLINES);
  await engine.load();
  for (const clip of clips) baseline.set(clip.id, await engine.recognize(clip.pcm, { language: 'en' }));
});

afterAll(async () => {
  await engine?.release();
  rmSync(tmp, { recursive: true, force: true });
});

const bySeconds = (): Clip[] => [...clips].sort((a, b) => a.seconds - b.seconds);
const longest = (): Clip => bySeconds().at(-1) as Clip;
const expected = (clip: Clip): Segment[] => baseline.get(clip.id) as Segment[];
const text = (segments: Segment[]): string => segments.map((s) => s.text).join(' ');

describe('PocketSphinxEngine on real speech', () => {
  it(`recognises the LibriVox clips with overall WER under ${MAX_OVERALL_WER * 100}%`, () => {
    const results: WerResult[] = [];
    for (const clip of clips) {
      const hypothesis = text(expected(clip));
      const r = wordErrorRate(clip.reference, hypothesis);
      expect(r.wer, `${clip.id}: "${hypothesis}"`).toBeLessThan(MAX_CLIP_WER);
      results.push(r);
    }
    expect(combineWer(results).wer).toBeLessThan(MAX_OVERALL_WER);
  });

  it('returns one segment per chunk with clean words, monotonic times inside the chunk and confidences in [0, 1]', () => {
    for (const clip of clips) {
      const segments = expected(clip);
      expect(segments).toHaveLength(1);
      const [segment] = segments as [Segment];
      expect(segment.text).toBe(segment.words.map((w) => w.word).join(' '));
      expect(segment.start).toBe(segment.words[0]?.start);
      expect(segment.end).toBe(segment.words.at(-1)?.end);
      let previousEnd = 0;
      for (const w of segment.words) {
        // No fillers (<s>, <sil>, [NOISE]) and no alternate-pronunciation suffixes ("been(2)").
        expect(w.word).toMatch(/^[a-z'.-]+$/);
        expect(w.start).toBeGreaterThanOrEqual(previousEnd);
        expect(w.end).toBeGreaterThan(w.start);
        expect(w.end).toBeLessThanOrEqual(clip.seconds);
        expect(w.confidence).toBeGreaterThanOrEqual(0);
        expect(w.confidence).toBeLessThanOrEqual(1);
        previousEnd = w.end;
      }
    }
  });

  it('loads the model once: one decoder process serves every call, and a chunk decodes the same whatever came before', async () => {
    // The baseline pass decoded the clips in file order; here the two shortest go in reverse order.
    const pid = engine.pid;
    expect(pid).toBeTypeOf('number');
    const [a, b] = bySeconds() as [Clip, Clip];
    expect(await engine.recognize(b.pcm, { language: 'auto' })).toEqual(expected(b));
    expect(await engine.recognize(a.pcm, { language: 'en-US' })).toEqual(expected(a));
    expect(engine.pid).toBe(pid);
  });

  it('serialises concurrent calls on one instance', async () => {
    const [a, b] = bySeconds() as [Clip, Clip];
    const results = await Promise.all([a, b, a].map((clip) => engine.recognize(clip.pcm, { language: 'en' })));
    expect(results).toEqual([expected(a), expected(b), expected(a)]);
  });

  it('answers an empty chunk with no segments', async () => {
    expect(await engine.recognize(new Int16Array(0), { language: 'en' })).toEqual([]);
  });
});

describe('PocketSphinxEngine failure handling', () => {
  it('fails the call in flight with EngineError when the decoder is SIGKILLed, and recovers on the next call', async () => {
    const clip = longest();
    const pid = engine.pid as number;
    const call = engine.recognize(clip.pcm, { language: 'en' });
    // All steps up to writing the request are synchronous or microtasks: after one macrotask
    // turn the chunk is in the decoder's pipe.
    await nextTurn();
    process.kill(pid, 'SIGKILL');
    const err = await call.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).retryable).toBe(true);
    expect((err as EngineError).message).toMatch(/SIGKILL/);
    expect(await engine.recognize(clip.pcm, { language: 'en' })).toEqual(expected(clip));
    expect(engine.pid).not.toBe(pid);
  });

  it('aborts a running call at once by killing the decoder, and the next call restarts it', async () => {
    const clip = longest();
    await engine.load();
    const pid = engine.pid as number;
    // A stopped decoder never answers: the call can only end if the abort kills the process
    // (SIGKILL ends a stopped process too) instead of waiting for its reply.
    process.kill(pid, 'SIGSTOP');
    const controller = new AbortController();
    const call = engine.recognize(clip.pcm, { language: 'en', signal: controller.signal });
    await nextTurn();
    controller.abort('task cancelled');
    const err = await call.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect((err as AbortedError).message).toBe('task cancelled');
    const [short] = bySeconds() as [Clip];
    expect(await engine.recognize(short.pcm, { language: 'en' })).toEqual(expected(short));
    expect(engine.pid).not.toBe(pid);
  });

  it('drops a call aborted while it waits for its turn, without disturbing the call in flight', async () => {
    const [a, b] = bySeconds() as [Clip, Clip];
    await engine.load();
    const pid = engine.pid;
    const controller = new AbortController();
    const running = engine.recognize(a.pcm, { language: 'en' });
    const waiting = engine.recognize(b.pcm, { language: 'en', signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortedError);
    expect(await running).toEqual(expected(a));
    expect(engine.pid).toBe(pid);
  });

  it('rejects unsupported languages with a non-retryable error and keeps the decoder', async () => {
    const pid = engine.pid;
    const err = await engine.recognize(clips[0]?.pcm as Int16Array, { language: 'de' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedLanguageError);
    expect((err as UnsupportedLanguageError).retryable).toBe(false);
    expect((err as UnsupportedLanguageError).code).toBe('unsupported_language');
    expect(engine.pid).toBe(pid);
  });

  it('refuses to start without the decoder binary, saying how to build it', () => {
    expect(() => new PocketSphinxEngine({ serverPath: join(tmp, 'missing') })).toThrow(EngineConfigError);
    expect(() => new PocketSphinxEngine({ serverPath: join(tmp, 'missing') })).toThrow(/build-native\.sh/);
  });

  // The decoder's own failure modes are hard to trigger on purpose, so these stand-ins speak the
  // protocol badly. They test the engine's distrust of its child process, not recognition.
  const standIn = (name: string, script: string): PocketSphinxEngine =>
    new PocketSphinxEngine({ ...TEST_ENGINE_DEADLINES, serverPath: standInPath(tmp, name, script) });
  const chunk = new Int16Array(1600);

  it('rejects with EngineError when the decoder answers garbage, and starts a fresh process next time', async () => {
    const liar = standIn(
      'garbage.sh',
      `echo '{"ready":true}'; head -c 3204 >/dev/null; echo 'not json'; exec cat >/dev/null`,
    );
    await liar.load();
    const first = liar.pid;
    await expect(liar.recognize(chunk, { language: 'en' })).rejects.toThrow(/garbage/);
    await expect(liar.recognize(chunk, { language: 'en' })).rejects.toBeInstanceOf(EngineError);
    expect(liar.pid).not.toBe(first);
    await liar.release();
  });

  it('rejects with EngineError when the decoder exits with status 0 in the middle of a request', async () => {
    const quitter = standIn('quitter.sh', `echo '{"ready":true}'; head -c 100 >/dev/null; exit 0`);
    await quitter.load();
    const err = await quitter.recognize(chunk, { language: 'en' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).message).toMatch(/exited with code 0/);
    await quitter.release();
  });

  it('rejects with EngineError when the decoder prints an endless line, without buffering it all', async () => {
    const flooder = standIn(
      'flood.sh',
      `echo '{"ready":true}'; head -c 3204 >/dev/null; head -c 6000000 /dev/zero | tr '\\0' x; exec cat >/dev/null`,
    );
    await flooder.load();
    await expect(flooder.recognize(chunk, { language: 'en' })).rejects.toThrow(/longer than/);
    await flooder.release();
  });

  it('fails load() with EngineError when the ready line never comes', async () => {
    const mute = new PocketSphinxEngine({
      serverPath: standInPath(tmp, 'mute.sh', 'exec cat >/dev/null'),
      loadTimeoutMs: 200,
    });
    await expect(mute.load()).rejects.toThrow(/did not load its model within 200 ms/);
    await mute.release();
  });
});

function standInPath(dir: string, name: string, script: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return path;
}
