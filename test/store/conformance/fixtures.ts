import { randomUUID } from 'node:crypto';
import type { ChunkCheckpoint } from '../../../src/core/task.js';
import type { Transcript } from '../../../src/core/transcript.js';
import type { NewTask, Scope } from '../../../src/store/task.store.js';

export const DELAYS = [1_000, 5_000, 20_000];
export const LEASE = 30_000;
export const ALICE: Scope = { userId: 'alice' };
export const BOB: Scope = { userId: 'bob' };
export const ADMIN: Scope = { admin: true };

/** A clock the test moves by hand: backoffs and lease expiry are tested without sleeping. */
export class FakeClock {
  t = 1_700_000_000_000;
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export function must<T>(value: T | null | undefined, what = 'value'): T {
  if (value === null || value === undefined) throw new Error(`expected ${what}`);
  return value;
}

export function newTask(overrides: Partial<NewTask> = {}): NewTask {
  return {
    id: randomUUID(),
    userId: 'alice',
    priority: 0,
    sourceName: 'talk.wav',
    mediaPath: '/data/uploads/talk.wav',
    mediaBytes: 123_456,
    options: { language: 'en', formats: ['json', 'srt'] },
    callbackUrl: null,
    maxAttempts: 3,
    durationSeconds: 60,
    ...overrides,
  };
}

export function checkpoint(index: number, attempt: number): ChunkCheckpoint {
  const start = index * 10;
  return {
    index,
    startSample: start * 16_000,
    endSample: (start + 10) * 16_000,
    attempt,
    segments: [
      {
        start,
        end: start + 2,
        text: `chunk ${index}`,
        words: [{ word: 'chunk', start, end: start + 1, confidence: 0.9 }],
      },
    ],
  };
}

export const plan = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ index: i, startSample: i * 160_000, endSample: (i + 1) * 160_000 }));

export const transcript: Transcript = {
  language: 'en',
  duration: 60,
  segments: [{ start: 0, end: 2, text: 'hello world', words: [] }],
  text: 'hello world',
};
