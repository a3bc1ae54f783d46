import { setImmediate as nextTurn } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, EngineConfigError, EnginePoolFullError } from '../../src/core/errors/index.js';
import type { Segment } from '../../src/core/transcript.js';
import type { Engine } from '../../src/engines/engine.js';
import { EnginePool } from '../../src/engines/engine-pool.js';
import { PocketSphinxEngine } from '../../src/engines/pocketsphinx/pocketsphinx.engine.js';
import { type Clip, ensureNativeServer, loadLibrivox, TEST_ENGINE_DEADLINES } from './librivox.js';

let clips: Clip[];
/** Results of one engine decoding the clips one after another: what the pool must reproduce. */
const sequential = new Map<string, Segment[]>();

beforeAll(async () => {
  ensureNativeServer();
  clips = loadLibrivox();
  const engine = new PocketSphinxEngine(TEST_ENGINE_DEADLINES);
  await engine.load();
  for (const clip of clips) sequential.set(clip.id, await engine.recognize(clip.pcm, { language: 'en' }));
  await engine.release();
});

/** A real engine that remembers every decoder process it started, so tests can check they are gone. */
class TrackedEngine extends PocketSphinxEngine {
  readonly pids: number[] = [];

  override async load(): Promise<void> {
    await super.load();
    if (this.pid !== undefined && !this.pids.includes(this.pid)) this.pids.push(this.pid);
  }
}

/** Counts the instances the pool creates, so tests can see which engines did the work. */
function trackingFactory(): { factory: () => Engine; engines: TrackedEngine[] } {
  const engines: TrackedEngine[] = [];
  return {
    engines,
    factory: () => {
      const e = new TrackedEngine(TEST_ENGINE_DEADLINES);
      engines.push(e);
      return e;
    },
  };
}

/**
 * Whether the OS still has a process with this pid. Called once close()/load() has returned: the
 * engine waits for its decoder's exit event before resolving, so the process must be gone already.
 */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

const shortest = (): Clip => clips.reduce((a, b) => (b.seconds < a.seconds ? b : a));

describe('EnginePool with real PocketSphinx instances', () => {
  it('runs two instances in parallel and returns exactly the sequential results', async () => {
    const { factory, engines } = trackingFactory();
    const pool = new EnginePool(factory, { size: 2 });
    try {
      await pool.load();
      expect(engines).toHaveLength(2);
      const pids = engines.map((e) => e.pid);
      expect(new Set(pids).size).toBe(2);
      const jobs = clips.map((clip) => pool.recognize(clip.pcm, { language: 'en' }));
      await nextTurn();
      // Both instances busy, the rest waiting in order.
      expect(pool.stats).toEqual({ busy: 2, queued: clips.length - 2 });
      const results = await Promise.all(jobs);
      results.forEach((segments, i) => {
        expect(segments).toEqual(sequential.get((clips[i] as Clip).id));
      });
      // Loaded once: the same two decoder processes did all the work.
      expect(engines.map((e) => e.pid)).toEqual(pids);
      expect(pool.stats).toEqual({ busy: 0, queued: 0 });
    } finally {
      await pool.close();
    }
  });

  it('bounds its wait queue: one job past the limit is refused at once', async () => {
    const pool = new EnginePool(trackingFactory().factory, { size: 1, maxQueue: 1 });
    try {
      await pool.load();
      const clip = shortest();
      const running = pool.recognize(clip.pcm, { language: 'en' });
      const queued = pool.recognize(clip.pcm, { language: 'en' });
      const refused = pool.recognize(clip.pcm, { language: 'en' });
      const err = await refused.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EnginePoolFullError);
      expect((err as EnginePoolFullError).retryable).toBe(true);
      expect(await running).toEqual(sequential.get(clip.id));
      expect(await queued).toEqual(sequential.get(clip.id));
    } finally {
      await pool.close();
    }
  });

  it('removes a queued job whose signal fires, leaving the running job and the engine alone', async () => {
    const { factory, engines } = trackingFactory();
    const pool = new EnginePool(factory, { size: 1 });
    try {
      await pool.load();
      const pid = engines[0]?.pid;
      const clip = shortest();
      const controller = new AbortController();
      const running = pool.recognize(clip.pcm, { language: 'en' });
      const doomed = pool.recognize(clip.pcm, { language: 'en', signal: controller.signal });
      const after = pool.recognize(clip.pcm, { language: 'en' });
      await nextTurn();
      expect(pool.stats).toEqual({ busy: 1, queued: 2 });
      controller.abort();
      await expect(doomed).rejects.toBeInstanceOf(AbortedError);
      expect(pool.stats).toEqual({ busy: 1, queued: 1 });
      expect(await running).toEqual(sequential.get(clip.id));
      expect(await after).toEqual(sequential.get(clip.id));
      expect(engines[0]?.pid).toBe(pid);
    } finally {
      await pool.close();
    }
  });

  it('close() rejects waiting jobs and stops every decoder process', async () => {
    const { factory, engines } = trackingFactory();
    const pool = new EnginePool(factory, { size: 2 });
    await pool.load();
    const pids = engines.flatMap((e) => e.pids);
    expect(pids).toHaveLength(2);
    expect(pids.every(exists)).toBe(true);
    const clip = shortest();
    const [first, second, waiting] = [1, 2, 3].map(() =>
      pool.recognize(clip.pcm, { language: 'en' }).catch((e: unknown) => e),
    );
    await nextTurn();
    expect(pool.stats).toEqual({ busy: 2, queued: 1 });
    await pool.close();
    expect(await waiting).toBeInstanceOf(AbortedError);
    // The running jobs either finished before close() or failed with their released engines.
    await Promise.all([first, second]);
    // close() resolved only once both decoder processes, the busy one and the idle one, had exited.
    expect(pids.filter(exists)).toEqual([]);
    await expect(pool.recognize(clip.pcm, { language: 'en' })).rejects.toBeInstanceOf(AbortedError);
  });

  it('fails load() and releases the instances that did load when one cannot', async () => {
    const { factory, engines } = trackingFactory();
    let made = 0;
    // The second instance's "decoder" exits at once: its load fails while the first one loads.
    const pool = new EnginePool(
      () => (++made === 2 ? new PocketSphinxEngine({ serverPath: '/bin/false' }) : factory()),
      {
        size: 2,
      },
    );
    await expect(pool.load()).rejects.toThrow(/exited with code 1/);
    expect(engines).toHaveLength(1);
    // The instance that did load was released: its decoder process is gone, not orphaned.
    const pids = engines.flatMap((e) => e.pids);
    expect(pids).toHaveLength(1);
    expect(pids.filter(exists)).toEqual([]);
    await expect(pool.load()).rejects.toThrow(/exited with code 1/);
  });

  it('fails load() with the factory error when an instance cannot even be created', async () => {
    const pool = new EnginePool(() => new PocketSphinxEngine({ lm: '/nonexistent/model.lm.bin' }), { size: 2 });
    await expect(pool.load()).rejects.toBeInstanceOf(EngineConfigError);
  });

  it('defaults to one instance per CPU and validates its options', () => {
    expect(new EnginePool(trackingFactory().factory).size).toBeGreaterThanOrEqual(1);
    expect(() => new EnginePool(trackingFactory().factory, { size: 0 })).toThrow(RangeError);
    expect(() => new EnginePool(trackingFactory().factory, { maxQueue: -1 })).toThrow(RangeError);
  });
});
