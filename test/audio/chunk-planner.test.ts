import { describe, expect, it } from 'vitest';
import { ChunkPlanner, type ChunkPlannerOptions, FIRST_CHUNKS_MAX_SECONDS } from '../../src/audio/chunk-planner.js';
import { type SpeechRegion, SpeechSegmenter, VAD_FRAME_SAMPLES } from '../../src/audio/speech-segmenter.js';
import type { ChunkPlan } from '../../src/core/task.js';
import { mulberry32 as rng } from '../helpers/prng.js';

const SR = 16000;
const FRAME_S = VAD_FRAME_SAMPLES / SR;
/** Every chunk planned alike (no shorter first chunks): for the rules that hold from chunk 0 on. */
const ALIKE: ChunkPlannerOptions = { firstChunksMaxSeconds: [] };

/** Probabilities for a script of [probability, seconds] runs. */
function probs(script: [number, number][]): number[] {
  return script.flatMap(([p, s]) => Array.from({ length: Math.round(s / FRAME_S) }, () => p));
}

interface Run {
  chunks: ChunkPlan[];
  regions: SpeechRegion[];
  /** Number of frames pushed when each chunk was emitted (Infinity: at finish). */
  emittedAt: number[];
  totalSamples: number;
}

function plan(ps: readonly number[], opts: ChunkPlannerOptions = {}): Run {
  const seg = new SpeechSegmenter();
  const planner = new ChunkPlanner(opts);
  const chunks: ChunkPlan[] = [];
  const regions: SpeechRegion[] = [];
  const emittedAt: number[] = [];
  ps.forEach((p, i) => {
    const frame = seg.next(p);
    if (frame.ended) regions.push(frame.ended);
    for (const c of planner.push(frame)) {
      chunks.push(c);
      emittedAt.push(i);
    }
  });
  const totalSamples = ps.length * VAD_FRAME_SAMPLES;
  const last = seg.finish(totalSamples);
  if (last) regions.push(last);
  for (const c of planner.finish(totalSamples, last)) {
    chunks.push(c);
    emittedAt.push(Number.POSITIVE_INFINITY);
  }
  return { chunks, regions, emittedAt, totalSamples };
}

/** A plausible recording: talk of 0.2–12 s (sometimes 60 s without a pause) and pauses of 0.1–6 s. */
function randomRecording(seed: number, seconds: number): number[] {
  const r = rng(seed);
  const script: [number, number][] = [];
  let t = 0;
  while (t < seconds) {
    const talk = r() < 0.05 ? 60 : 0.2 + r() * 12;
    const pause = 0.1 + r() ** 2 * 6;
    script.push([0.6 + r() * 0.4, talk], [r() * 0.3, pause]);
    t += talk + pause;
  }
  // Frame-level jitter, still deterministic, so splits inside speech have something to choose from.
  return probs(script).map((p) => Math.min(1, Math.max(0, p + (r() - 0.5) * 0.3)));
}

function expectWellFormed({ chunks, totalSamples }: Run, maxSeconds: number): void {
  chunks.forEach((c, i) => {
    expect(c.index).toBe(i);
    expect(Number.isInteger(c.startSample) && Number.isInteger(c.endSample)).toBe(true);
    expect(c.endSample).toBeGreaterThan(c.startSample);
    expect(c.endSample - c.startSample).toBeLessThanOrEqual(maxSeconds * SR);
    expect(c.startSample).toBeGreaterThanOrEqual(0);
    expect(c.endSample).toBeLessThanOrEqual(totalSamples);
    const prev = chunks[i - 1];
    if (prev) expect(c.startSample).toBeGreaterThanOrEqual(prev.endSample);
  });
}

describe('ChunkPlanner', () => {
  it('plans nothing for silence', () => {
    expect(plan(probs([[0.01, 120]])).chunks).toEqual([]);
  });

  it('rejects a maximum under one second', () => {
    expect(() => new ChunkPlanner({ maxChunkSeconds: 0.5 })).toThrow(RangeError);
  });

  it('merges sentences separated by short pauses into one chunk', () => {
    const run = plan(
      probs([
        [0, 1],
        [0.9, 4],
        [0, 0.8],
        [0.9, 5],
        [0, 1.2],
        [0.9, 3],
        [0, 3],
      ]),
      ALIKE,
    );
    expect(run.regions).toHaveLength(3);
    expect(run.chunks).toEqual([
      { index: 0, startSample: run.regions[0]?.startSample, endSample: run.regions[2]?.endSample },
    ]);
  });

  it('ends a chunk at a long silence and does not send the silence', () => {
    const run = plan(
      probs([
        [0.9, 3],
        [0, 10],
        [0.9, 3],
        [0, 1],
      ]),
    );
    expect(run.chunks).toHaveLength(2);
    const [a, b] = run.chunks as [ChunkPlan, ChunkPlan];
    expect(b.startSample - a.endSample).toBeGreaterThan(9 * SR);
    // The first chunk is final once the silence is long enough, long before the next speech.
    expect(run.emittedAt[0]).toBeLessThan(Math.round(6 / FRAME_S));
  });

  it('never exceeds the maximum and cuts only in pauses when there are any', () => {
    // Four-second sentences with half-second pauses: 60 s of speech.
    const script: [number, number][] = [];
    for (let i = 0; i < 13; i += 1) script.push([0.9, 4], [0.02, 0.5]);
    const run = plan(probs(script), { maxChunkSeconds: 15 });
    expectWellFormed(run, 15);
    expect(run.chunks.length).toBeGreaterThanOrEqual(4);
    for (const c of run.chunks) {
      // Every boundary is a region boundary, i.e. in silence.
      expect(run.regions.some((r) => r.startSample === c.startSample)).toBe(true);
      expect(run.regions.some((r) => r.endSample === c.endSample)).toBe(true);
    }
  });

  it('prefers the longest pause that leaves a chunk of at least minChunkSeconds', () => {
    // Pauses of 0.5 s, except one of 1.5 s after 12.5 s of speech; the last 0.5 s pause sits at ~28 s.
    const ps = probs([
      [0.9, 6],
      [0, 0.5],
      [0.9, 6],
      [0, 1.5],
      [0.9, 8],
      [0, 0.5],
      [0.9, 8],
      [0, 0.5],
      [0.9, 8],
      [0, 2.5],
    ]);
    const run = plan(ps, { ...ALIKE, maxChunkSeconds: 30, minChunkSeconds: 10 });
    expect(run.chunks[0]?.endSample).toBe(run.regions[1]?.endSample);
  });

  it('splits long speech without any pause at bounded lengths, at the quietest frame near the limit', () => {
    const ps = probs([[0.95, 100]]);
    // Quieter (but still speech-like) frames at 27.0 s and, after the first cut, 27 s later.
    const dip = (s: number): number => Math.round(s / FRAME_S);
    ps[dip(27)] = 0.6;
    ps[dip(27 + 28)] = 0.55;
    const run = plan(ps, { ...ALIKE, maxChunkSeconds: 30 });
    expectWellFormed(run, 30);
    expect(run.regions).toHaveLength(1);
    expect(run.chunks.length).toBe(4);
    expect(run.chunks[0]?.endSample).toBe(dip(27) * VAD_FRAME_SAMPLES + VAD_FRAME_SAMPLES / 2);
    expect(run.chunks[1]?.startSample).toBe(run.chunks[0]?.endSample);
    expect(run.chunks[1]?.endSample).toBe(dip(55) * VAD_FRAME_SAMPLES + VAD_FRAME_SAMPLES / 2);
    // Contiguous: nothing of the speech is lost between split chunks.
    expect(run.chunks.at(-1)?.endSample).toBe(run.totalSamples);
    // Split chunks are emitted while the speech goes on, not at its end.
    expect(run.emittedAt[0]).toBeLessThan(dip(31));
  });

  it('is well-formed and covers all speech on random recordings', () => {
    for (let seed = 1; seed <= 12; seed += 1) {
      const max = [5, 12, 30][seed % 3] as number;
      const run = plan(randomRecording(seed, 600), { maxChunkSeconds: max });
      expectWellFormed(run, max);
      for (const r of run.regions) {
        const covered = run.chunks
          .filter((c) => c.endSample > r.startSample && c.startSample < r.endSample)
          .reduce((sum, c) => sum + Math.min(c.endSample, r.endSample) - Math.max(c.startSample, r.startSample), 0);
        expect(covered).toBe(r.endSample - r.startSample);
      }
    }
  });

  it('is deterministic: the same frames give the same chunks', () => {
    const ps = randomRecording(42, 900);
    const a = plan(ps, { maxChunkSeconds: 20 });
    const b = plan([...ps], { maxChunkSeconds: 20 });
    expect(b.chunks).toEqual(a.chunks);
    expect(a.chunks.length).toBeGreaterThan(20);
  });

  it('emits chunks incrementally, with contiguous indexes', () => {
    const run = plan(randomRecording(7, 900), { maxChunkSeconds: 30 });
    const beforeEnd = run.emittedAt.filter((at) => Number.isFinite(at)).length;
    expect(beforeEnd).toBeGreaterThan(run.chunks.length / 2);
    expect(run.chunks.map((c) => c.index)).toEqual(run.chunks.map((_, i) => i));
  });

  describe('shorter first chunks', () => {
    const [first, second] = FIRST_CHUNKS_MAX_SECONDS as [number, number];
    const seconds = (c: ChunkPlan | undefined) => ((c?.endSample ?? 0) - (c?.startSample ?? 0)) / SR;

    it('ramps the maximum up over the first chunks of continuous speech, each emitted as soon as it is full', () => {
      const ps = probs([[0.95, 120]]);
      const run = plan(ps, { maxChunkSeconds: 30 });
      expectWellFormed(run, 30);
      expect(seconds(run.chunks[0])).toBeLessThanOrEqual(first);
      expect(seconds(run.chunks[0])).toBeGreaterThan(first - 2);
      expect(seconds(run.chunks[1])).toBeLessThanOrEqual(second);
      expect(seconds(run.chunks[1])).toBeGreaterThan(second - 5);
      // From the third chunk on, the normal maximum.
      expect(seconds(run.chunks[2])).toBeGreaterThan(25);
      // The first chunk is final right after its audio, not after a full-length chunk's.
      expect(run.emittedAt[0]).toBeLessThan(Math.round((first + 1) / FRAME_S));
      expect(run.chunks.at(-1)?.endSample).toBe(run.totalSamples);
    });

    it('still cuts the first chunks in pauses when there are any', () => {
      // Two-second sentences with 0.4 s pauses.
      const script: [number, number][] = [];
      for (let i = 0; i < 30; i += 1) script.push([0.9, 2], [0.02, 0.4]);
      const run = plan(probs(script), { maxChunkSeconds: 30 });
      expect(seconds(run.chunks[0])).toBeLessThanOrEqual(first);
      expect(seconds(run.chunks[1])).toBeLessThanOrEqual(second);
      for (const c of run.chunks.slice(0, 2)) {
        expect(run.regions.some((r) => r.startSample === c.startSample)).toBe(true);
        expect(run.regions.some((r) => r.endSample === c.endSample)).toBe(true);
      }
    });

    it('depends on the chunk index only: a late start still gets a short first chunk', () => {
      const run = plan(
        probs([
          [0.02, 200],
          [0.95, 60],
        ]),
        { maxChunkSeconds: 30 },
      );
      expect(run.chunks[0]?.startSample).toBeGreaterThan(199 * SR);
      expect(seconds(run.chunks[0])).toBeLessThanOrEqual(first);
    });

    it('never exceeds a maximum smaller than the ramp', () => {
      const run = plan(probs([[0.95, 60]]), { maxChunkSeconds: 4 });
      expectWellFormed(run, 4);
      expect(seconds(run.chunks[0])).toBeGreaterThan(3);
    });

    it('takes a ramp of its own, and none at all', () => {
      const ps = probs([[0.95, 90]]);
      const custom = plan(ps, { maxChunkSeconds: 30, firstChunksMaxSeconds: [3, 3, 10] });
      expect(custom.chunks.slice(0, 4).map((c) => Math.ceil(seconds(c)))).toEqual([3, 3, 10, 30]);
      const none = plan(ps, { maxChunkSeconds: 30, ...ALIKE });
      expect(seconds(none.chunks[0])).toBeGreaterThan(25);
    });
  });
});
