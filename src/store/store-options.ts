import { DEFAULT_RETRY_DELAYS_MS } from '../config/config.js';

/** Options every TaskStore adapter accepts. */
export interface StoreOptions {
  /**
   * The store's clock, ms since epoch (default Date.now). Every timestamp the store writes and every
   * "is it due / has it expired" decision reads it, so tests step through backoffs and lease expiry
   * by moving a fake clock instead of sleeping.
   */
  now?: () => number;
  /** Delays before retries of retryable failures, read by backoffMs(); default config's DEFAULT_RETRY_DELAYS_MS. */
  retryDelaysMs?: readonly number[];
  /** Where the store reports trouble it recovers from by itself (a dropped idle connection). pino fits. */
  log?: StoreLogger;
}

/** The part of a logger the store uses. */
export interface StoreLogger {
  warn(obj: object, msg?: string): void;
}

export interface ResolvedStoreOptions {
  now: () => number;
  retryDelaysMs: readonly number[];
}

export function resolveStoreOptions(opts: StoreOptions): ResolvedStoreOptions {
  return { now: opts.now ?? Date.now, retryDelaysMs: opts.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS };
}
