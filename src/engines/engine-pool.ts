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

interface Waiter {
  resolve: (engine: Engine) => void;
  reject: (err: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * A fixed set of loaded engine instances shared by every task of a worker. Jobs run on a free
 * instance or wait in a bounded FIFO queue. An instance whose call failed stays in the pool:
 * engines restart their own process on the next call.
 */
export class EnginePool {
  readonly size: number;
  readonly maxQueue: number;
  private readonly engines: Engine[] = [];
  private readonly free: Engine[] = [];
  private readonly waiters: Waiter[] = [];
  private loading: Promise<void> | null = null;
  private closed = false;

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
  async recognize(pcm: Int16Array, opts: RecognizeOptions): Promise<Segment[]> {
    throwIfAborted(opts.signal);
    await this.load();
    const engine = await this.acquire(opts.signal);
    try {
      return await engine.recognize(pcm, opts);
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

  private acquire(signal: AbortSignal | undefined): Promise<Engine> {
    if (this.closed) return Promise.reject(new AbortedError('engine pool closed'));
    const engine = this.free.pop();
    if (engine !== undefined) return Promise.resolve(engine);
    if (this.waiters.length >= this.maxQueue) return Promise.reject(new EnginePoolFullError(this.maxQueue));
    return new Promise<Engine>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(abortedError(signal as AbortSignal));
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private handBack(engine: Engine): void {
    if (this.closed || !this.engines.includes(engine)) return;
    const waiter = this.waiters.shift();
    if (waiter === undefined) {
      this.free.push(engine);
      return;
    }
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
    waiter.resolve(engine);
  }
}
