import { randomUUID } from 'node:crypto';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseAudio, FIRST_PLANS_AHEAD, planAudio, replayPlan } from '../../src/audio/plan-audio.js';
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
    const audio = planAudio(mp3, { spoolPath: spoolPath(), onProgress: (s) => progress.push(s) });
    try {
      for await (const plan of audio) {
        seen.push(plan);
        // The chunk's audio can be read as soon as the chunk is planned.
        const pcm = await audio.readRange(plan.startSample, plan.endSample);
        peaks.push(pcm.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
      }
      const totalSamples = audio.totalSamples as number;
      expect(seen.map((c) => c.index)).toEqual([0, 1, 2]);
      expect(Math.abs(totalSamples / SR - seconds)).toBeLessThan(0.1);
      expect(peaks.every((p) => p > 3000)).toBe(true);
      let t = 0;
      for (const [i, w] of wavs.entries()) {
        const d = await mediaDuration(w);
        const c = seen[i] as ChunkPlan;
        expect(c.startSample / SR).toBeGreaterThan(t - 0.2);
        expect(c.endSample / SR).toBeLessThan(t + d + 0.3);
        t += d + 3;
      }
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(progress.at(-1)).toBeCloseTo(totalSamples / SR, 5);
    } finally {
      await audio.close();
    }
  });

  it('gives zero chunks for silence', async () => {
    const { chunks, totalSamples, audio } = await analyseAudio(await makeSilence(8), { spoolPath: spoolPath() });
    await audio.close();
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
    const audio = planAudio(path, { spoolPath: file, signal: ac.signal });
    const run = (async () => {
      for await (const _ of audio) ac.abort();
    })();
    await expect(run).rejects.toBeInstanceOf(AbortedError);
    expect(audio.totalSamples).toBeNull();
    await audio.close();
    expect(await exists(file)).toBe(false);
  });

  it('bounds chunks on long speech, starts them before decoding ends, and plans the same way twice', async () => {
    const { path, durationSeconds } = await longSpeech(2);
    const runOnce = async (): Promise<{ chunks: ChunkPlan[]; early: number; total: number }> => {
      let early = 0;
      const chunks: ChunkPlan[] = [];
      const audio = planAudio(path, { spoolPath: spoolPath(), maxChunkSeconds: 12 });
      try {
        for await (const chunk of audio) {
          chunks.push(chunk);
          if (audio.totalSamples === null) early += 1;
        }
        return { chunks, early, total: audio.totalSamples as number };
      } finally {
        await audio.close();
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

  it('decodes only a bounded amount ahead of a consumer that stops taking chunks', async () => {
    const { path } = await longSpeech(2);
    const chunkSeconds = 5;
    const plansAhead = 2;
    let decoded = 0;
    const held = planAudio(path, {
      spoolPath: spoolPath(),
      maxChunkSeconds: chunkSeconds,
      plansAhead,
      onProgress: (s) => {
        decoded = s;
      },
    });
    try {
      const chunks = held[Symbol.asyncIterator]();
      const first = await chunks.next();
      expect(first.done).toBe(false);
      // Real time for a whole decode to happen: the same file analysed in full, with nobody holding
      // it back. An analysis that ignored its consumer would have got as far by then.
      const reference = await analyseAudio(path, { spoolPath: spoolPath(), maxChunkSeconds: chunkSeconds });
      await reference.audio.close();
      expect(held.totalSamples).toBeNull();
      // Planned so far: the chunk taken, `plansAhead` queued and one waiting for room; the planner
      // looks at most a chunk and a pause past the last one, and the spool holds one 2 s block more.
      const bound = (plansAhead + 2) * (chunkSeconds + 2) + chunkSeconds + 2 + 2;
      expect(decoded).toBeLessThanOrEqual(bound);
      expect(reference.totalSamples / SR).toBeGreaterThan(2 * bound);

      // Taking the rest resumes decoding, and the plan is the one a free-running analysis makes.
      const rest: ChunkPlan[] = [first.value as ChunkPlan];
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) rest.push(next.value);
      expect(rest).toEqual(reference.chunks);
      expect(held.totalSamples).toBe(reference.totalSamples);
    } finally {
      await held.close();
    }
  });

  it('holds a few plans until the consumer runs it ahead, then analyses and plans to the end on its own', async () => {
    const { path } = await longSpeech(2);
    const chunkSeconds = 5;
    const reference = await analyseAudio(path, { spoolPath: spoolPath(), maxChunkSeconds: chunkSeconds });
    await reference.audio.close();
    const totalSeconds = reference.totalSamples / SR;
    let decoded = 0;
    let reachedEnd = (): void => undefined;
    const atEnd = new Promise<void>((resolve) => {
      reachedEnd = resolve;
    });
    const held = planAudio(path, {
      spoolPath: spoolPath(),
      maxChunkSeconds: chunkSeconds,
      onProgress: (s) => {
        decoded = s;
        if (s >= totalSeconds) reachedEnd();
      },
    });
    try {
      const chunks = held[Symbol.asyncIterator]();
      const first = await chunks.next();
      // Real time for a whole decode (as above), with the default full bound far beyond this recording.
      const again = await analyseAudio(path, { spoolPath: spoolPath(), maxChunkSeconds: chunkSeconds });
      await again.audio.close();
      const bound = (FIRST_PLANS_AHEAD + 2) * (chunkSeconds + 2) + chunkSeconds + 2 + 2;
      expect(decoded).toBeLessThanOrEqual(bound);
      expect(totalSeconds).toBeGreaterThan(2 * bound);

      // Still holding its first chunk, the consumer lets the analysis go: it decodes to the end.
      held.runAhead();
      await atEnd;
      // The whole plan is known while the consumer still holds only its first chunk.
      expect(await held.planned).toEqual(reference.chunks);
      const rest: ChunkPlan[] = [first.value as ChunkPlan];
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) rest.push(next.value);
      expect(rest).toEqual(reference.chunks);
    } finally {
      await held.close();
    }
  });

  it('stops decoding when the consumer leaves the loop early', async () => {
    const { path } = await longSpeech(2);
    const file = spoolPath();
    const audio = planAudio(path, { spoolPath: file, maxChunkSeconds: 5 });
    for await (const _ of audio) break;
    // Reads fail once decoding has stopped, so they cannot wait forever for samples never decoded.
    await expect(audio.readRange(0, SR * 3600)).rejects.toBeInstanceOf(AbortedError);
    expect(audio.totalSamples).toBeNull();
    await audio.close();
    expect(await exists(file)).toBe(false);
  });
});

describe('replayPlan', () => {
  it('yields a stored plan and the same samples, decoding from startSeconds', async () => {
    const wavs = await Promise.all(
      ['Resumed tasks only need the samples back.', 'The plan is already stored.'].map((t) => synthSpeech(t)),
    );
    const wav = await concatWithSilence(wavs, 3);
    const a = await analyseAudio(wav, { spoolPath: spoolPath() });
    expect(a.chunks.length).toBe(2);
    const second = a.chunks[1] as ChunkPlan;
    const startSeconds = Math.floor(second.startSample / SR) - 1;
    expect(startSeconds).toBeGreaterThan(0);
    const b = replayPlan(wav, a.chunks, { spoolPath: spoolPath(), startSeconds });
    try {
      const replayed: ChunkPlan[] = [];
      for await (const chunk of b) replayed.push(chunk);
      expect(replayed).toEqual(a.chunks);
      expect(b.totalSamples).toBe(a.totalSamples);
      expect(await b.readRange(second.startSample, second.endSample)).toEqual(
        await a.audio.readRange(second.startSample, second.endSample),
      );
    } finally {
      await a.audio.close();
      await b.close();
    }
  });
});
