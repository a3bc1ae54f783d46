import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mapConcurrent } from '../../../src/core/async/map-concurrent.js';

/** A promise settled from outside, for calls whose end the test decides. */
class Deferred<T> {
  resolve!: (value: T) => void;
  reject!: (err: unknown) => void;
  readonly promise = new Promise<T>((resolve, reject) => {
    this.resolve = resolve;
    this.reject = reject;
  });
}

/** Resolves once `condition()` holds, checked after every call event the test's calls report. */
class Events {
  private waiters: { condition: () => boolean; resolve: () => void }[] = [];
  changed(): void {
    const ready = this.waiters.filter((w) => w.condition());
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }
  until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ condition, resolve }));
  }
}

/**
 * A source that records what the map did with it: how many items it handed out, whether it was
 * asked to close and has closed, and whether a `next()` is waiting. After `hold()` the next item
 * waits for `release()`.
 */
class Source implements AsyncIterable<number> {
  taken = 0;
  /** return() was called. */
  closing = false;
  /** return() has finished its (asynchronous) cleanup. */
  returned = false;
  waiting = false;
  private gate: Deferred<void> | null = null;
  constructor(
    private readonly count: number,
    private readonly events: Events,
    private readonly failAt: number | null = null,
  ) {}

  /** Makes the next `next()` wait until `release()`. */
  hold(): void {
    this.gate = new Deferred();
  }
  release(): void {
    this.gate?.resolve();
    this.gate = null;
  }

  [Symbol.asyncIterator](): AsyncIterator<number> {
    return {
      next: async () => {
        if (this.gate) {
          this.waiting = true;
          this.events.changed();
          await this.gate.promise;
          this.waiting = false;
        }
        if (this.taken === this.failAt) throw new Error(`source failed at ${this.taken}`);
        if (this.taken >= this.count) return { done: true, value: undefined };
        this.taken += 1;
        this.events.changed();
        return { done: false, value: this.taken - 1 };
      },
      return: async () => {
        this.closing = true;
        this.release();
        // Closing takes a while (a decoder is stopped), so the map must wait for it.
        await new Promise((resolve) => setImmediate(resolve));
        this.returned = true;
        this.events.changed();
        return { done: true, value: undefined };
      },
    };
  }
}

/** Calls the test ends one by one, observing how many ran at once and which saw their signal fire. */
class Calls {
  readonly started: number[] = [];
  readonly aborted: number[] = [];
  readonly pending = new Map<number, Deferred<string>>();
  inFlight = 0;
  maxInFlight = 0;
  constructor(private readonly events: Events) {}

  readonly fn = async (item: number, signal: AbortSignal): Promise<string> => {
    const call = new Deferred<string>();
    this.pending.set(item, call);
    this.started.push(item);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const onAbort = (): void => {
      this.aborted.push(item);
      // Winding down takes a while (an engine stops its process), so the map must wait for it.
      setImmediate(() => call.reject(new Error(`call ${item} aborted`)));
    };
    signal.addEventListener('abort', onAbort);
    this.events.changed();
    try {
      return await call.promise;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.inFlight -= 1;
      this.pending.delete(item);
      this.events.changed();
    }
  };

  finish(item: number): void {
    this.pending.get(item)?.resolve(`r${item}`);
  }
  fail(item: number, err: Error): void {
    this.pending.get(item)?.reject(err);
  }
}

/** Collects a map's results in the background; `result` settles with them or with its error. */
function collect<R>(results: AsyncIterable<R>, events: Events): { seen: R[]; result: Promise<R[]> } {
  const seen: R[] = [];
  const result = (async () => {
    for await (const r of results) {
      seen.push(r);
      events.changed();
    }
    return seen;
  })();
  return { seen, result };
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  // A rejection is reported as unhandled after the microtask queue drains; let that happen first.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

describe('mapConcurrent', () => {
  it('keeps at most `concurrency` calls in flight, starts them in source order and yields in completion order', async () => {
    const events = new Events();
    const source = new Source(6, events);
    const calls = new Calls(events);
    const { seen, result } = collect(mapConcurrent(source, calls.fn, { concurrency: 2 }), events);

    await events.until(() => calls.started.length === 2);
    // Pull-based: the source is asked for a third item only when a slot frees.
    expect(source.taken).toBe(2);
    calls.finish(1);
    await events.until(() => calls.started.length === 3);
    calls.finish(2);
    await events.until(() => calls.started.length === 4);
    calls.finish(0);
    calls.finish(3);
    await events.until(() => calls.started.length === 6);
    calls.finish(5);
    calls.finish(4);

    expect(await result).toEqual(seen);
    expect(seen.slice(0, 2)).toEqual(['r1', 'r2']);
    expect([...seen].sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
    expect(calls.started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(calls.maxInFlight).toBe(2);
    expect(source.closing).toBe(false);
  });

  it('accepts a plain iterable and an empty source', async () => {
    const doubled = [];
    for await (const r of mapConcurrent([1, 2, 3], async (n) => n * 2, { concurrency: 3 })) doubled.push(r);
    expect(doubled.sort()).toEqual([2, 4, 6]);
    const none = [];
    for await (const r of mapConcurrent([], async (n: number) => n, { concurrency: 1 })) none.push(r);
    expect(none).toEqual([]);
  });

  it('rejects a concurrency that is not a positive integer', async () => {
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      await expect(mapConcurrent([1], async (n) => n, { concurrency }).next()).rejects.toThrow(RangeError);
    }
  });

  it('on the first failure starts nothing more, aborts and awaits the calls in flight, closes the source and throws it', async () => {
    const events = new Events();
    const source = new Source(100, events);
    const calls = new Calls(events);
    const { result } = collect(mapConcurrent(source, calls.fn, { concurrency: 3 }), events);
    await events.until(() => calls.started.length === 3);

    const boom = new Error('engine exploded');
    calls.fail(1, boom);
    await expect(result).rejects.toBe(boom);
    // The other two saw their signal fire and had ended before the map threw.
    expect(calls.aborted.sort()).toEqual([0, 2]);
    expect(calls.inFlight).toBe(0);
    expect(calls.started).toEqual([0, 1, 2]);
    expect(source.taken).toBe(3);
    expect(source.returned).toBe(true);
  });

  it('a failure while the consumer holds a result aborts the calls in flight at once', async () => {
    const events = new Events();
    const source = new Source(10, events);
    const calls = new Calls(events);
    const results = mapConcurrent(source, calls.fn, { concurrency: 3 });
    const first = results.next();
    await events.until(() => calls.started.length === 3);
    calls.finish(0);
    expect(await first).toEqual({ done: false, value: 'r0' });
    // The consumer is busy with r0 (no next() pending); a call fails meanwhile.
    calls.fail(1, new Error('late failure'));
    await events.until(() => calls.aborted.length === 1);
    expect(calls.aborted).toEqual([2]);
    // Nothing new started while the consumer was away.
    expect(calls.started).toEqual([0, 1, 2]);
    await expect(results.next()).rejects.toThrow('late failure');
    expect(source.returned).toBe(true);
  });

  it('stops on abort: the calls in flight see the signal, the source is closed, the reason is thrown', async () => {
    const events = new Events();
    const source = new Source(100, events);
    const calls = new Calls(events);
    const ac = new AbortController();
    const { result } = collect(mapConcurrent(source, calls.fn, { concurrency: 2, signal: ac.signal }), events);
    await events.until(() => calls.started.length === 2);
    const reason = new Error('cancelled by the user');
    ac.abort(reason);
    await expect(result).rejects.toBe(reason);
    expect(calls.aborted.sort()).toEqual([0, 1]);
    expect(calls.inFlight).toBe(0);
    expect(calls.started).toEqual([0, 1]);
    expect(source.returned).toBe(true);
  });

  it('stops on abort while waiting for the source, and asks the waiting source to close', async () => {
    const events = new Events();
    const source = new Source(100, events);
    source.hold();
    const calls = new Calls(events);
    const ac = new AbortController();
    const { result } = collect(mapConcurrent(source, calls.fn, { concurrency: 2, signal: ac.signal }), events);
    await events.until(() => source.waiting);
    ac.abort(new Error('shutdown'));
    await expect(result).rejects.toThrow('shutdown');
    expect(calls.started).toEqual([]);
    // Its pending next() must settle before it can close, so the map asks without waiting.
    expect(source.closing).toBe(true);
  });

  it('never starts for an already-aborted signal', async () => {
    const events = new Events();
    const source = new Source(3, events);
    const calls = new Calls(events);
    const results = mapConcurrent(source, calls.fn, {
      concurrency: 2,
      signal: AbortSignal.abort(new Error('too late')),
    });
    await expect(results.next()).rejects.toThrow('too late');
    expect(source.taken).toBe(0);
    expect(calls.started).toEqual([]);
  });

  it('throws a failing source’s error after aborting and awaiting the calls in flight', async () => {
    const events = new Events();
    const source = new Source(100, events, 2);
    const calls = new Calls(events);
    const { result } = collect(mapConcurrent(source, calls.fn, { concurrency: 3 }), events);
    await expect(result).rejects.toThrow('source failed at 2');
    expect(calls.aborted.sort()).toEqual([0, 1]);
    expect(calls.inFlight).toBe(0);
  });

  it('turns a call that throws synchronously into a failure of the map', async () => {
    const fn = (n: number): Promise<number> => {
      if (n === 1) throw new Error('sync throw');
      return Promise.resolve(n);
    };
    const seen: number[] = [];
    const run = (async () => {
      for await (const n of mapConcurrent([0, 1, 2], fn, { concurrency: 1 })) seen.push(n);
    })();
    await expect(run).rejects.toThrow('sync throw');
    expect(seen).toEqual([0]);
  });

  it('cleans up when the consumer leaves the loop early', async () => {
    const events = new Events();
    const source = new Source(100, events);
    const calls = new Calls(events);
    const run = (async () => {
      for await (const r of mapConcurrent(source, calls.fn, { concurrency: 2 })) if (r === 'r0') break;
    })();
    await events.until(() => calls.started.length === 2);
    calls.finish(0);
    await run;
    expect(calls.aborted).toEqual([1]);
    expect(calls.inFlight).toBe(0);
    expect(source.returned).toBe(true);
  });
});
