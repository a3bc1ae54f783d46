import { availableParallelism } from 'node:os';
import { AbortedError, EnginePoolFullError } from '../core/errors/index.js';
import type { Segment } from '../core/transcript.js';
import { abortedError, throwIfAborted } from './abort.js';
import type { Engine, EngineFactory, RecognizeOptions } from './engine.js';

export interface EnginePoolOptions {
  /** Engine instances, each loaded once and busy with one chunk at a time. Default: CPU count. */
  size?: number;
  /**
   * Jobs allowed to wait for a free instance; one more is refused with EnginePoolFullError.
   * Each waiting job holds its PCM (a 30 s chunk is ~1 MB), so the bound is a memory bound too;
   * the pipeline keeps about `size` chunks in flight and should never come near the default 64.
   */
  maxQueue?: number;
}

/**
 * Who a job is for, so a pool shared by several tasks (or files) serves them fairly: a free instance
 * goes to the waiting job of highest `priority`, and among equals to the share served least
 * recently. A long recording's chunks and a stream of short tasks therefore alternate on the
 * instances; neither starves the other.
 */
export interface PoolShare {
  /** Jobs with the same key belong to one share (a task id, a file). */
  key: string;
  /** Higher first; default 0. */
  priority?: number;
}

/** A pool job: the engine's options, plus the share it is charged to (none: a share of its own). */
export interface PoolRecognizeOptions extends RecognizeOptions {
  share?: PoolShare;
}

interface Waiter {
  resolve: (engine: Engine) => void;
  reject: (err: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
  key: string | undefined;
  priority: number;
}

/**
 * A fixed set of loaded engine instances shared by every task of a worker. Jobs run on a free
 * instance or wait in a bounded queue, from which instances are handed out fairly between shares
 * (see PoolShare). An instance whose call failed stays in the pool: engines restart their own
 * process on the next call.
 */
export class EnginePool {
  readonly size: number;
  readonly maxQueue: number;
  private readonly engines: Engine[] = [];
  private readonly free: Engine[] = [];
  private readonly waiters: Waiter[] = [];
  private loading: Promise<void> | null = null;
  private closed = false;
  /**
   * When each share last got an instance (a counter, not a clock). Holds only the shares with a
   * waiting job: an entry is dropped when its share's queue empties, so the map stays bounded.
   */
  private readonly lastServed = new Map<string, number>();
  private served = 0;

  constructor(
    private readonly factory: EngineFactory,
    options: EnginePoolOptions = {},
  ) {
    this.size = options.size ?? availableParallelism();
    this.maxQueue = options.maxQueue ?? 64;
    if (!Number.isInteger(this.size) || this.size < 1) throw new RangeError(`pool size must be >= 1, got ${this.size}`);
    if (!Number.isInteger(this.maxQueue) || this.maxQueue < 0) {
      throw new RangeError(`pool maxQueue must be >= 0, got ${this.maxQueue}`);
    }
  }

  /**
   * Creates and loads every instance, in parallel. Idempotent: later calls return the same
   * promise. If any instance fails to load, all are released and the pool stays unusable.
   */
  load(): Promise<void> {
    this.loading ??= this.loadAll();
    return this.loading;
  }

  /** Same as `load()`: named for callers that think of the pool as a service to start. */
  start(): Promise<void> {
    return this.load();
  }

  /** Number of jobs running and waiting right now (for metrics and tests). */
  get stats(): { busy: number; queued: number } {
    return { busy: this.engines.length - this.free.length, queued: this.waiters.length };
  }

  /**
   * Recognises one chunk on the next free instance (loading the pool first if needed). Rejects
   * with EnginePoolFullError when the wait queue is full, with AbortedError if `opts.signal` fires
   * while waiting (the job leaves the queue) or running, and with whatever the engine rejects with.
   */
  async recognize(pcm: Int16Array, opts: PoolRecognizeOptions): Promise<Segment[]> {
    throwIfAborted(opts.signal);
    await this.load();
    const { share, ...engineOpts } = opts;
    const engine = await this.acquire(opts.signal, share);
    try {
      return await engine.recognize(pcm, engineOpts);
    } finally {
      this.handBack(engine);
    }
  }

  /**
   * Refuses new jobs, rejects waiting ones with AbortedError and releases every instance. Jobs
   * already running are not waited for: releasing their engine makes them reject, so callers that
   * want a drain abort or await their jobs first.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.reject(new AbortedError('engine pool closed'));
    }
    await this.loading?.catch(() => {});
    await this.releaseAll();
  }

  private async loadAll(): Promise<void> {
    if (this.closed) throw new AbortedError('engine pool closed');
    let failure: { reason: unknown } | undefined;
    try {
      for (let i = 0; i < this.size; i++) this.engines.push(this.factory());
    } catch (err) {
      failure = { reason: err };
    }
    if (failure === undefined) {
      const results = await Promise.allSettled(this.engines.map((e) => e.load()));
      failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    }
    if (failure !== undefined) {
      await this.releaseAll();
      throw failure.reason;
    }
    if (this.closed) return;
    this.free.push(...this.engines);
  }

  private async releaseAll(): Promise<void> {
    const engines = this.engines.splice(0);
    this.free.length = 0;
    await Promise.allSettled(engines.map((e) => e.release()));
  }

  private acquire(signal: AbortSignal | undefined, share: PoolShare | undefined): Promise<Engine> {
    if (this.closed) return Promise.reject(new AbortedError('engine pool closed'));
    // The signal may have fired while the pool loaded: an abort listener added now would never run.
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    const engine = this.free.pop();
    if (engine !== undefined) {
      if (share) this.markServed(share.key);
      return Promise.resolve(engine);
    }
    if (this.waiters.length >= this.maxQueue) return Promise.reject(new EnginePoolFullError(this.maxQueue));
    return new Promise<Engine>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        key: share?.key,
        priority: share?.priority ?? 0,
        onAbort: () => {
          this.removeWaiter(waiter);
          reject(abortedError(signal as AbortSignal));
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
      if (waiter.key !== undefined && !this.lastServed.has(waiter.key)) this.lastServed.set(waiter.key, -1);
    });
  }

  private handBack(engine: Engine): void {
    if (this.closed || !this.engines.includes(engine)) return;
    const waiter = this.nextWaiter();
    if (waiter === undefined) {
      this.free.push(engine);
      return;
    }
    this.removeWaiter(waiter);
    if (waiter.key !== undefined) this.markServed(waiter.key);
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
    waiter.resolve(engine);
  }

  /**
   * Highest priority first; among equals the share served longest ago (a share never served counts
   * as oldest); among a share's jobs, and for jobs without a share, the earliest. The queue holds
   * at most `maxQueue` jobs, so a linear scan is cheap.
   */
  private nextWaiter(): Waiter | undefined {
    let best: Waiter | undefined;
    let bestServed = 0;
    for (const w of this.waiters) {
      // A job without a share is a share of its own that waited since it was queued.
      const served = w.key === undefined ? -1 : (this.lastServed.get(w.key) ?? -1);
      if (best === undefined || w.priority > best.priority || (w.priority === best.priority && served < bestServed)) {
        best = w;
        bestServed = served;
      }
    }
    return best;
  }

  private markServed(key: string): void {
    this.served += 1;
    if (this.waiters.some((w) => w.key === key)) this.lastServed.set(key, this.served);
    else this.lastServed.delete(key);
  }

  private removeWaiter(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
  }
}
