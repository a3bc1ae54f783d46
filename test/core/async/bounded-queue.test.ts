import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../../src/core/async/bounded-queue.js';
import { AbortedError } from '../../../src/core/errors/index.js';

/** Whether `promise` has settled, judged after the microtasks already queued have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('BoundedQueue', () => {
  it('hands items over in order and makes the producer wait while it is full', async () => {
    const q = new BoundedQueue<number>(2);
    await q.push(1);
    await q.push(2);
    const third = q.push(3);
    expect(await settled(third)).toBe(false);
    expect(q.size).toBe(2);
    expect(await q.next()).toEqual({ done: false, value: 1 });
    await third;
    q.end();
    const rest = [];
    for await (const n of q) rest.push(n);
    expect(rest).toEqual([2, 3]);
  });

  it('raise() lets a waiting producer go on and more items queue, and never lowers the bound', async () => {
    const q = new BoundedQueue<number>(1);
    await q.push(1);
    const second = q.push(2);
    expect(await settled(second)).toBe(false);
    q.raise(3);
    await second;
    await q.push(3);
    const fourth = q.push(4);
    expect(await settled(fourth)).toBe(false);
    expect(q.size).toBe(3);
    q.raise(2);
    expect(q.capacity).toBe(3);
    expect(await q.next()).toEqual({ done: false, value: 1 });
    await fourth;
    q.end();
    const rest = [];
    for await (const n of q) rest.push(n);
    expect(rest).toEqual([2, 3, 4]);
  });

  it('answers a waiting consumer as soon as an item is pushed', async () => {
    const q = new BoundedQueue<string>(1);
    const next = q.next();
    expect(await settled(next)).toBe(false);
    await q.push('a');
    expect(await next).toEqual({ done: false, value: 'a' });
  });

  it('delivers the queued items before the producer’s failure', async () => {
    const q = new BoundedQueue<number>(4);
    await q.push(1);
    q.fail(new Error('decode failed'));
    expect(await q.next()).toEqual({ done: false, value: 1 });
    await expect(q.next()).rejects.toThrow('decode failed');
  });

  it('fail() also releases a producer waiting for room', async () => {
    const q = new BoundedQueue<number>(1);
    await q.push(1);
    const waiting = q.push(2);
    const closed = new AbortedError('closed');
    q.fail(closed);
    await expect(waiting).rejects.toBe(closed);
  });

  it('return() ends a pending next, drops queued items and rejects pushes with AbortedError', async () => {
    const q = new BoundedQueue<number>(1);
    const pending = q.next();
    await q.return();
    expect(await pending).toEqual({ done: true, value: undefined });
    await expect(q.push(1)).rejects.toBeInstanceOf(AbortedError);

    const full = new BoundedQueue<number>(1);
    await full.push(1);
    const waiting = full.push(2);
    await full.return();
    await expect(waiting).rejects.toBeInstanceOf(AbortedError);
    expect(await full.next()).toEqual({ done: true, value: undefined });
  });
});
