import { AbortedError } from '../core/errors/index.js';

/** The AbortedError for a fired signal, carrying its reason when that is a string or an Error. */
export function abortedError(signal: AbortSignal): AbortedError {
  const reason: unknown = signal.reason;
  if (reason instanceof AbortedError) return reason;
  if (typeof reason === 'string') return new AbortedError(reason);
  if (reason instanceof Error && reason.name !== 'AbortError') return new AbortedError(reason.message);
  return new AbortedError();
}

/** Throws AbortedError if the signal has already fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

/**
 * Waits for `promise`, or rejects with AbortedError as soon as `signal` fires (the promise itself
 * keeps running; the caller decides what to do with it).
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortedError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * Runs calls one at a time in arrival order. A call whose signal fires while it waits for its turn
 * rejects at once and never runs; the order of the others is unchanged.
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let done!: () => void;
    const mine = new Promise<void>((resolve) => {
      done = resolve;
    });
    // The next caller waits for both: an aborted waiter releases early, but still behind `previous`.
    this.tail = previous.then(() => mine);
    try {
      await raceAbort(previous, signal);
      return await fn();
    } finally {
      done();
    }
  }
}
