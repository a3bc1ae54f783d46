import { randomUUID } from 'node:crypto';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseAudio, startAnalysis, startSpooling } from '../../src/audio/plan-audio.js';
import { probeMedia } from '../../src/audio/probe.js';
import { AbortedError, BadAudioError } from '../../src/core/errors/index.js';
import type { ChunkPlan } from '../../src/core/task.js';
import {
  concatWithSilence,
  convert,
  longSpeech,
  makeNonAudio,
  makeSilence,
  makeTruncated,
  mediaDuration,
  synthSpeech,
} from '../helpers/audio-fixtures.js';

const SR = 16000;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'earshot-plan-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const spoolPath = (): string => join(dir, `${randomUUID()}.pcm`);
const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );

describe('analyseAudio', () => {
  it('plans one chunk per sentence when pauses are long, readable from the spool as they come', async () => {
    const sentences = ['Good morning and welcome.', 'Today we talk about rivers.', 'Thank you for listening.'];
    const wavs = await Promise.all(sentences.map((s) => synthSpeech(s)));
    const mp3 = await convert(await concatWithSilence(wavs, 3), 'mp3');
    const seconds = await mediaDuration(mp3);

    const seen: ChunkPlan[] = [];
    const peaks: number[] = [];
    const progress: number[] = [];
    const { spool, done } = startAnalysis(mp3, {
      spoolPath: spoolPath(),
      onChunk: async (plan) => {
        seen.push(plan);
        // The chunk's audio is already on disk when it is announced.
        const pcm = await spool.readRange(plan.startSample, plan.endSample);
        peaks.push(pcm.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
      },
      onProgress: (s) => progress.push(s),
    });
    try {
      const { chunks, totalSamples } = await done;
      expect(chunks).toEqual(seen);
      expect(chunks.map((c) => c.index)).toEqual([0, 1, 2]);
      expect(Math.abs(totalSamples / SR - seconds)).toBeLessThan(0.1);
      expect(peaks.every((p) => p > 3000)).toBe(true);
      let t = 0;
      for (const [i, w] of wavs.entries()) {
        const d = await mediaDuration(w);
        const c = chunks[i] as ChunkPlan;
        expect(c.startSample / SR).toBeGreaterThan(t - 0.2);
        expect(c.endSample / SR).toBeLessThan(t + d + 0.3);
        t += d + 3;
      }
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(progress.at(-1)).toBeCloseTo(totalSamples / SR, 5);
    } finally {
      await spool.close();
    }
  });

  it('gives zero chunks for silence', async () => {
    const { chunks, totalSamples, spool } = await analyseAudio(await makeSilence(8), { spoolPath: spoolPath() });
    await spool.close();
    expect(chunks).toEqual([]);
    expect(totalSamples).toBe(8 * SR);
  });

  it('fails with BadAudioError on bad input and removes its spool', async () => {
    const file = spoolPath();
    await expect(analyseAudio(await makeNonAudio(), { spoolPath: file })).rejects.toBeInstanceOf(BadAudioError);
    expect(await exists(file)).toBe(false);
  });

  it('fails on a truncated file when given the probed duration', async () => {
    const path = await makeTruncated();
    const { durationSeconds } = await probeMedia(path);
    const run = analyseAudio(path, { spoolPath: spoolPath(), durationSeconds });
    await expect(run).rejects.toThrow(/looks truncated/);
  });

  it('stops with AbortedError when the signal fires', async () => {
    const { path } = await longSpeech(2);
    const ac = new AbortController();
    const file = spoolPath();
    const run = analyseAudio(path, { spoolPath: file, signal: ac.signal, onChunk: () => ac.abort() });
    await expect(run).rejects.toBeInstanceOf(AbortedError);
    expect(await exists(file)).toBe(false);
  });

  it('bounds chunks on long speech, starts them before decoding ends, and plans the same way twice', async () => {
    const { path, durationSeconds } = await longSpeech(2);
    const runOnce = async (): Promise<{ chunks: ChunkPlan[]; early: number; total: number }> => {
      let early = 0;
      const a = startAnalysis(path, {
        spoolPath: spoolPath(),
        maxChunkSeconds: 12,
        onChunk: () => {
          if (a.spool.totalSamples === null) early += 1;
        },
      });
      try {
        const r = await a.done;
        return { chunks: r.chunks, early, total: r.totalSamples };
      } finally {
        await a.spool.close();
      }
    };
    const first = await runOnce();
    const second = await runOnce();
    expect(second.chunks).toEqual(first.chunks);
    expect(first.early).toBeGreaterThan(first.chunks.length / 2);
    expect(Math.abs(first.total / SR - durationSeconds)).toBeLessThan(0.1);
    for (const c of first.chunks) expect(c.endSample - c.startSample).toBeLessThanOrEqual(12 * SR);
    // Speech covers most of the recording, so the chunks must too.
    const covered = first.chunks.reduce((s, c) => s + c.endSample - c.startSample, 0) / first.total;
    expect(covered).toBeGreaterThan(0.8);
  });
});

describe('startSpooling', () => {
  it('spools the same samples without planning', async () => {
    const wav = await synthSpeech('Resumed tasks only need the samples back.');
    const a = await analyseAudio(wav, { spoolPath: spoolPath() });
    const b = startSpooling(wav, { spoolPath: spoolPath() });
    try {
      const { totalSamples } = await b.done;
      expect(totalSamples).toBe(a.totalSamples);
      const c = a.chunks[0] as ChunkPlan;
      expect(await b.spool.readRange(c.startSample, c.endSample)).toEqual(
        await a.spool.readRange(c.startSample, c.endSample),
      );
    } finally {
      await a.spool.close();
      await b.spool.close();
    }
  });
});
