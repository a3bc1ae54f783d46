import { describe, expect, it } from 'vitest';
import type { Segment } from '../../src/core/transcript.js';
import type { Engine } from '../../src/engines/engine.js';
import { EnginePool, type PoolShare } from '../../src/engines/engine-pool.js';

/**
 * Queue mechanics only, so a test double: an engine whose calls stay in flight until the test ends
 * them, reporting each call as it starts. The job's label travels in its PCM's first sample.
 */
class GatedEngine implements Engine {
  readonly name = 'gated';
  private readonly started: { label: number; finish: () => void }[] = [];
  private waiting: ((call: { label: number; finish: () => void }) => void) | null = null;

  constructor(private readonly log: number[]) {}

  async load(): Promise<void> {}
  async release(): Promise<void> {}

  recognize(pcm: Int16Array): Promise<Segment[]> {
    const label = pcm[0] ?? -1;
    this.log.push(label);
    return new Promise((resolve) => {
      const call = { label, finish: () => resolve([]) };
      if (this.waiting) {
        this.waiting(call);
        this.waiting = null;
      } else this.started.push(call);
    });
  }

  /** The next call to start (already started ones first). */
  nextCall(): Promise<{ label: number; finish: () => void }> {
    const call = this.started.shift();
    if (call) return Promise.resolve(call);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }
}

/** A one-instance pool whose only engine the test drives, and the order in which jobs reached it. */
async function gatedPool(): Promise<{ pool: EnginePool; engine: GatedEngine; order: number[] }> {
  const order: number[] = [];
  const engine = new GatedEngine(order);
  const pool = new EnginePool(() => engine, { size: 1 });
  await pool.load();
  return { pool, engine, order };
}

const job = (pool: EnginePool, label: number, share?: PoolShare) =>
  pool.recognize(Int16Array.of(label), { language: 'en', ...(share ? { share } : {}) });

/** Lets the engine finish one call after another, `n` times. */
async function drain(engine: GatedEngine, n: number): Promise<void> {
  for (let i = 0; i < n; i++) (await engine.nextCall()).finish();
}

describe('EnginePool shared by several tasks', () => {
  it('alternates between shares, so a long task queued first does not hold back a short one', async () => {
    const { pool, engine, order } = await gatedPool();
    const long: PoolShare = { key: 'long' };
    const short: PoolShare = { key: 'short' };
    const held = job(pool, 0, long); // runs at once; the rest wait
    const first = await engine.nextCall();
    const jobs = [
      held,
      job(pool, 1, long),
      job(pool, 2, long),
      job(pool, 3, long),
      job(pool, 11, short),
      job(pool, 12, short),
    ];
    first.finish();
    await drain(engine, 5);
    await Promise.all(jobs);
    // First come, first served would give 0, 1, 2, 3, 11, 12.
    expect(order).toEqual([0, 1, 11, 2, 12, 3]);
    await pool.close();
  });

  it('serves a higher priority first, and keeps first-come order within a share', async () => {
    const { pool, engine, order } = await gatedPool();
    const held = job(pool, 0);
    const first = await engine.nextCall();
    const jobs = [
      held,
      job(pool, 1, { key: 'low', priority: -1 }),
      job(pool, 2, { key: 'low', priority: -1 }),
      job(pool, 3, { key: 'normal' }),
      job(pool, 4, { key: 'urgent', priority: 5 }),
      job(pool, 5, { key: 'urgent', priority: 5 }),
    ];
    first.finish();
    await drain(engine, 5);
    await Promise.all(jobs);
    expect(order).toEqual([0, 4, 5, 3, 1, 2]);
    await pool.close();
  });

  it('keeps first-come order for jobs without a share', async () => {
    const { pool, engine, order } = await gatedPool();
    const held = job(pool, 0);
    const first = await engine.nextCall();
    const jobs = [held, job(pool, 1), job(pool, 2), job(pool, 3)];
    first.finish();
    await drain(engine, 3);
    await Promise.all(jobs);
    expect(order).toEqual([0, 1, 2, 3]);
    await pool.close();
  });

  it('drops a waiting job whose signal fired, even one that fired while the pool was loading', async () => {
    const { pool, engine, order } = await gatedPool();
    const held = job(pool, 0, { key: 'a' });
    const first = await engine.nextCall();
    const gone = new AbortController();
    const aborted = pool.recognize(Int16Array.of(9), { language: 'en', signal: gone.signal, share: { key: 'b' } });
    const jobs = [held, job(pool, 1, { key: 'a' }), job(pool, 2, { key: 'c' })];
    gone.abort();
    await expect(aborted).rejects.toThrow();
    first.finish();
    await drain(engine, 2);
    await Promise.all(jobs);
    expect(order).toEqual([0, 1, 2]);
    await pool.close();
  });
});
