import { InternalError } from './internal.error.js';

/** What the task store records about a failed attempt; `failureOf` is the only way to make one. */
export interface FailureInfo {
  code: string;
  message: string;
  /** Whether another attempt could succeed: decided by the error class, nowhere else. */
  retryable: boolean;
}

/** The failure record for `err`: its own code and retry decision, or InternalError's for anything unplanned. */
export function failureOf(err: unknown): FailureInfo {
  const e = InternalError.from(err);
  return { code: e.code, message: e.message, retryable: e.retryable };
}
