import { AbortedError } from '../errors/aborted.error.js';

interface Pending<V> {
  resolve: (value: V) => void;
  reject: (err: unknown) => void;
}

/**
 * A bounded hand-off from one producer to one consumer, read as an async iterator. `push` waits
 * while `capacity` items are queued, so a producer that awaits it runs ahead of its consumer by at
 * most that many items. The producer ends the stream with `end()` or `fail(err)` (the consumer sees
 * the error after the items queued before it); the consumer stops it with `return()` (a `break` out
 * of `for await`), after which queued items are dropped and `push` rejects with AbortedError.
 * Nothing here polls: every wait is a promise settled by the other side.
 */
export class BoundedQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private ending: { error: unknown } | 'ended' | null = null;
  private stopped = false;
  private taker: Pending<IteratorResult<T>> | null = null;
  private wakeProducer: (() => void) | null = null;

  constructor(private cap: number) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`capacity must be an integer >= 1`);
  }

  /** Items that may be queued before `push` waits. */
  get capacity(): number {
    return this.cap;
  }

  /** Lets more items be queued from now on (never fewer), waking a producer that waits for room. */
  raise(capacity: number): void {
    if (!Number.isInteger(capacity)) throw new RangeError(`capacity must be an integer`);
    if (capacity <= this.cap) return;
    this.cap = capacity;
    this.wakePusher();
  }

  /** Items queued and not yet taken. */
  get size(): number {
    return this.items.length;
  }

  /**
   * Queues `item`, waiting for room first. One push at a time (a single producer awaits each).
   * Rejects with AbortedError once the consumer has stopped, and with the error given to `fail`.
   */
  async push(item: T): Promise<void> {
    if (this.wakeProducer) throw new Error('BoundedQueue.push called again before the previous push settled');
    if (!this.stopped && !this.ending && this.items.length >= this.cap) {
      await new Promise<void>((resolve) => {
        this.wakeProducer = resolve;
      });
    }
    if (this.stopped) throw new AbortedError('the consumer stopped reading');
    if (this.ending === 'ended') throw new Error('BoundedQueue.push after end()');
    if (this.ending) throw this.ending.error;
    if (this.taker) {
      this.take().resolve({ done: false, value: item });
    } else {
      this.items.push(item);
    }
  }

  /** No more items: the consumer's loop ends after those queued. */
  end(): void {
    this.ending ??= 'ended';
    this.wakeTaker();
  }

  /**
   * The stream failed: the consumer's `next()` after the queued items rejects with `error`, and a
   * push waiting for room rejects with it (so a third party, such as a close, can stop both sides).
   */
  fail(error: unknown): void {
    this.ending ??= { error };
    this.wakeTaker();
    this.wakePusher();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.taker) return Promise.reject(new Error('BoundedQueue.next called again before the previous next settled'));
    if (this.items.length > 0) {
      const value = this.items.shift() as T;
      this.wakePusher();
      return Promise.resolve({ done: false, value });
    }
    if (this.stopped || this.ending === 'ended') return Promise.resolve({ done: true, value: undefined });
    if (this.ending) return Promise.reject(this.ending.error);
    return new Promise((resolve, reject) => {
      this.taker = { resolve, reject };
    });
  }

  /** The consumer stops: a pending `next()` resolves done, queued items are dropped, pushes reject. */
  async return(): Promise<IteratorResult<T>> {
    this.stopped = true;
    this.items.length = 0;
    this.wakePusher();
    if (this.taker) this.take().resolve({ done: true, value: undefined });
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private take(): Pending<IteratorResult<T>> {
    const taker = this.taker as Pending<IteratorResult<T>>;
    this.taker = null;
    return taker;
  }

  private wakeTaker(): void {
    if (!this.taker || this.items.length > 0 || !this.ending) return;
    if (this.ending === 'ended') this.take().resolve({ done: true, value: undefined });
    else this.take().reject(this.ending.error);
  }

  private wakePusher(): void {
    const wake = this.wakeProducer;
    this.wakeProducer = null;
    wake?.();
  }
}
