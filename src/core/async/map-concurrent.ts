export interface MapConcurrentOptions {
  /** Most calls of `fn` in flight at once (an integer >= 1). */
  concurrency: number;
  /**
   * Stops the map: no further item is taken, every call in flight sees its signal fire and is
   * awaited, and the map throws the signal's reason (as `signal.throwIfAborted()` would).
   */
  signal?: AbortSignal;
}

/** What the map waits for; each outcome is a value, never a rejection, so none can go unhandled. */
type Outcome<T, R> =
  | { kind: 'pulled'; result: IteratorResult<T> }
  | { kind: 'source-failed'; error: unknown }
  | { kind: 'done'; call: Promise<Outcome<T, R>>; value: R }
  | { kind: 'failed'; call: Promise<Outcome<T, R>>; error: unknown }
  | { kind: 'aborted' };

/**
 * Maps `source` through `fn` with at most `concurrency` calls in flight, yielding each result as
 * its call finishes: completion order, not source order (carry an index in the item when order
 * matters).
 *
 * Pull-based: the next item is taken from `source` only when a call slot is free, and no call
 * starts while the consumer holds a yielded result, so a fast source never runs ahead by more than
 * what it buffers itself, and at most `concurrency` results ever wait for the consumer.
 * `fn` is called in source order, one call per item, as soon as the item is taken.
 *
 * The first failure (a call, the source, or `signal`) ends the map: nothing new starts, the
 * signal passed to the calls still running fires, those calls are awaited, the source iterator is
 * closed with `return()`, and the map throws that first error. Leaving the loop early (`break`,
 * or a throw in the consumer's loop body) cleans up the same way. A source that is inside `next()`
 * at that moment cannot be closed before that call settles (an async generator queues `return()`
 * behind it), so `return()` is then requested without being awaited: a source that may wait long
 * for its next item should watch the same signal the caller stops it with.
 */
export async function* mapConcurrent<T, R>(
  source: AsyncIterable<T> | Iterable<T>,
  fn: (item: T, signal: AbortSignal) => Promise<R>,
  options: MapConcurrentOptions,
): AsyncGenerator<R, void, undefined> {
  const { concurrency, signal: outer } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`);
  }
  const stop = new AbortController();
  const signal = outer ? AbortSignal.any([outer, stop.signal]) : stop.signal;
  const iterator = iteratorOf(source);
  const running = new Set<Promise<Outcome<T, R>>>();
  let pulling: Promise<Outcome<T, R>> | null = null;
  let sourceOpen = true;
  // Set from call callbacks, which TypeScript cannot see when narrowing in the loop below.
  let failure = null as { error: unknown } | null;

  const start = (item: T): void => {
    const call: Promise<Outcome<T, R>> = (async () => fn(item, signal))().then(
      (value) => ({ kind: 'done', call, value }),
      (error: unknown) => {
        failure ??= { error };
        // Stop the other calls at once, even while the consumer is busy with an earlier result.
        stop.abort(error);
        return { kind: 'failed', call, error };
      },
    );
    running.add(call);
  };

  try {
    for (;;) {
      // Checked before taking another item: a call may have failed while the consumer was away.
      if (failure) throw failure.error;
      if (outer?.aborted) throw outer.reason;
      if (sourceOpen && pulling === null && running.size < concurrency) {
        // Called through an async function so a next() that throws synchronously is a rejection too.
        pulling = (async () => iterator.next())().then(
          (result): Outcome<T, R> => ({ kind: 'pulled', result }),
          (error: unknown): Outcome<T, R> => ({ kind: 'source-failed', error }),
        );
      }
      if (pulling === null && running.size === 0) return;
      const outcome = await firstOf(pulling === null ? [...running] : [pulling, ...running], outer);
      switch (outcome.kind) {
        case 'aborted':
          throw outer?.reason;
        case 'source-failed':
          // A source that threw is finished; it is not asked to return().
          sourceOpen = false;
          pulling = null;
          throw outcome.error;
        case 'pulled':
          pulling = null;
          if (outcome.result.done) sourceOpen = false;
          else start(outcome.result.value);
          break;
        case 'failed':
          // Thrown at the top of the loop: the first failure, which may not be this one.
          running.delete(outcome.call);
          break;
        case 'done':
          running.delete(outcome.call);
          yield outcome.value;
          break;
      }
    }
  } finally {
    stop.abort(new Error('mapConcurrent stopped'));
    await Promise.all(running);
    if (sourceOpen) {
      const closing = Promise.resolve(iterator.return?.()).catch(() => undefined);
      if (pulling === null) await closing;
    }
  }
}

/** The first outcome to settle, or `aborted` as soon as `signal` fires (its listener is removed after). */
async function firstOf<T, R>(
  waiting: Promise<Outcome<T, R>>[],
  signal: AbortSignal | undefined,
): Promise<Outcome<T, R>> {
  if (signal?.aborted) return { kind: 'aborted' };
  if (!signal) return Promise.race(waiting);
  let onAbort = (): void => undefined;
  const aborted = new Promise<Outcome<T, R>>((resolve) => {
    onAbort = () => resolve({ kind: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([aborted, ...waiting]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function iteratorOf<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> | Iterator<T> {
  return Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
}
