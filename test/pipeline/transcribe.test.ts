import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StageTimes } from '../../src/core/stage-times.js';
import type { ChunkCheckpoint, ChunkPlan } from '../../src/core/task.js';
import type { Transcript } from '../../src/core/transcript.js';
import { createEngineFactory } from '../../src/engines/create-engine.js';
import { EnginePool } from '../../src/engines/engine-pool.js';
import { type CheckpointSink, transcribe } from '../../src/pipeline/transcribe.js';
import type { StoredPlan } from '../../src/store/task.store.js';
import { TEST_ENGINE_DEADLINES } from '../engines/librivox.js';
import { espeakSpeech, longSpeech } from '../helpers/audio-fixtures.js';

let pool: EnginePool;
let work: string;
beforeAll(async () => {
  // Deadlines for a loaded machine: a slow answer is not what these tests are about.
  pool = new EnginePool(createEngineFactory({ engine: 'pocketsphinx', pocketsphinx: TEST_ENGINE_DEADLINES }, {}), {
    size: 2,
  });
  await pool.start();
  work = await mkdtemp(join(tmpdir(), 'earshot-pipeline-'));
});
afterAll(async () => {
  await pool.close();
  await rm(work, { recursive: true, force: true });
});

const options = { language: 'en', formats: ['json' as const], maxChunkSeconds: 10 };

/** An in-memory checkpoint sink that records which chunks each run recognised. */
class MemorySink implements CheckpointSink {
  plan = new Map<number, ChunkPlan>();
  done = new Map<number, ChunkCheckpoint>();
  complete = false;
  async load(): Promise<StoredPlan> {
    return {
      complete: this.complete,
      chunks: [...this.plan.values()].map((p) => ({ ...p, checkpoint: this.done.get(p.index) ?? null })),
    };
  }
  async savePlan(chunks: ChunkPlan[], complete: boolean): Promise<void> {
    for (const c of chunks) if (!this.plan.has(c.index)) this.plan.set(c.index, c);
    if (complete) this.complete = true;
  }
  async saveChunk(c: ChunkCheckpoint): Promise<void> {
    this.done.set(c.index, c);
  }
}

describe('pipeline on a long recording', () => {
  it('returns monotonic, non-overlapping timestamps covering a one-minute espeak-ng recording', async () => {
    const speech = await espeakSpeech(1);
    const t = await transcribe({ mediaPath: speech.path, workDir: work, options, pool });
    expect(t.duration).toBeCloseTo(speech.durationSeconds, 0);
    expect(t.segments.length).toBeGreaterThan(5);
    let last = 0;
    for (const s of t.segments) {
      expect(s.start).toBeGreaterThanOrEqual(last);
      expect(s.end).toBeGreaterThanOrEqual(s.start);
      for (const w of s.words) {
        expect(w.start).toBeGreaterThanOrEqual(s.start);
        expect(w.end).toBeLessThanOrEqual(s.end);
        expect(w.start).toBeGreaterThanOrEqual(last);
        last = w.end;
      }
      last = s.end;
    }
    // Speech runs from start to end of the file: the transcript must too.
    expect(t.segments[0]?.start).toBeLessThan(3);
    expect(t.segments.at(-1)?.end).toBeGreaterThan(speech.durationSeconds - 5);
  });
});

describe('pipeline checkpoints', () => {
  it('resumes after an interruption, recognising only the missing chunks, and matches an uninterrupted run', async () => {
    const speech = await longSpeech(1);
    const reference: Transcript = await transcribe({ mediaPath: speech.path, workDir: work, options, pool });

    const sink = new MemorySink();
    const stop = new AbortController();
    const firstRun: number[] = [];
    await expect(
      transcribe({
        mediaPath: speech.path,
        workDir: work,
        options,
        pool,
        attempt: 1,
        signal: stop.signal,
        checkpoints: sink,
        onChunk: (c, resumed) => {
          if (resumed) return;
          firstRun.push(c.index);
          if (firstRun.length === 3) stop.abort(new Error('simulated crash'));
        },
      }),
    ).rejects.toThrow();
    const doneBefore = new Set(sink.done.keys());
    expect(doneBefore.size).toBeGreaterThanOrEqual(3);

    const secondRun: number[] = [];
    const resumedChunks: number[] = [];
    const resumed = await transcribe({
      mediaPath: speech.path,
      workDir: work,
      options,
      pool,
      attempt: 2,
      checkpoints: sink,
      onChunk: (c, wasResumed) => (wasResumed ? resumedChunks : secondRun).push(c.index),
    });
    expect(new Set(resumedChunks)).toEqual(doneBefore);
    for (const i of secondRun) expect(doneBefore.has(i)).toBe(false);
    expect(secondRun.length + resumedChunks.length).toBe(sink.plan.size);
    expect([...sink.done.values()].filter((c) => c.attempt === 2).length).toBe(secondRun.length);
    expect(resumed.segments.map((s) => [s.start, s.end, s.text])).toEqual(
      reference.segments.map((s) => [s.start, s.end, s.text]),
    );
    expect(sink.complete).toBe(true);

    // A crash after the last checkpoint but before completion: nothing is recognised again, and the
    // recording's length still comes out exact.
    const again: number[] = [];
    const replay = await transcribe({
      mediaPath: speech.path,
      workDir: work,
      options,
      pool,
      attempt: 3,
      checkpoints: sink,
      onChunk: (c, wasResumed) => {
        if (!wasResumed) again.push(c.index);
      },
    });
    expect(again).toEqual([]);
    expect(replay.duration).toBe(reference.duration);
    expect(replay.segments).toEqual(reference.segments);
  });
});

describe('pipeline stage times', () => {
  it('reports where a short real recording’s time went, stages inside the whole', async () => {
    const clip = '/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0890.wav';
    const times = new StageTimes();
    const started = performance.now();
    const t = await transcribe({
      mediaPath: clip,
      workDir: work,
      options,
      pool,
      times,
      checkpoints: new MemorySink(),
    });
    const whole = performance.now() - started;
    expect(t.text).toContain('rather');
    const s = times.toJSON();
    for (const stage of ['planLoad', 'vadLoad', 'vadInfer', 'firstChunk', 'analysed', 'recognise'] as const) {
      expect(s[stage], stage).toBeGreaterThanOrEqual(0);
    }
    expect(s.vadInfer).toBeGreaterThan(0);
    expect(s.recognise).toBeGreaterThan(0);
    expect(s.firstChunk).toBeLessThanOrEqual(s.analysed as number);
    expect((s.analysed as number) + (s.planLoad as number)).toBeLessThanOrEqual(whole + 1);
    expect(s.recognise).toBeLessThanOrEqual(whole + 1);
  });
});
