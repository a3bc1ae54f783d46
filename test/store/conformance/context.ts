import { afterEach, beforeEach } from 'vitest';
import type { Task } from '../../../src/core/task.js';
import type { Transcript } from '../../../src/core/transcript.js';
import type { StoreOptions } from '../../../src/store/store-options.js';
import type { NewTask, TaskStore } from '../../../src/store/task.store.js';
import { DELAYS, FakeClock, LEASE, must, newTask } from './fixtures.js';

/** Opens a store instance on the test's database; every call is a new instance on the same data. */
export type OpenStore = (opts?: StoreOptions) => TaskStore;

export interface ConformanceTarget {
  /** Prepares an empty database for one test (migrated or not) and returns how to open stores on it. */
  fresh(): Promise<OpenStore>;
  /**
   * Rewrites a stored transcript's JSON in place on the latest fresh() database, with the plain
   * `UPDATE transcripts SET json = …` a transcript edit makes (the store has no edit transition yet).
   */
  updateTranscriptJson(taskId: string, transcript: Transcript): Promise<void>;
}

/** What every conformance test starts with: a fresh, migrated store on a hand-moved clock. */
export interface ConformanceContext {
  readonly clock: FakeClock;
  /** The test's main store; a test that closes it assigns its replacement here. */
  store: TaskStore;
  /** Opens another instance on the same data, on the test's clock and retry delays; closed after the test. */
  open(opts?: StoreOptions): TaskStore;
  /** Enqueues with no bound and moves the clock on, so creation order is unambiguous. */
  enqueue(overrides?: Partial<NewTask>, s?: TaskStore): Promise<Task>;
  /** Claims the next task for `workerId`; fails the test when there is none. */
  claimed(workerId?: string, s?: TaskStore): Promise<Task>;
  /** See ConformanceTarget.updateTranscriptJson. */
  updateTranscriptJson(taskId: string, transcript: Transcript): Promise<void>;
}

/**
 * Registers the per-test setup and teardown in the enclosing describe and returns the context the
 * tests read in their bodies (after beforeEach has run).
 */
export function useConformanceContext(target: ConformanceTarget): ConformanceContext {
  let openRaw: OpenStore;
  const opened: TaskStore[] = [];
  let clock: FakeClock | undefined;
  let store: TaskStore | undefined;

  const ctx: ConformanceContext = {
    get clock(): FakeClock {
      return must(clock, 'the clock (set in beforeEach)');
    },
    get store(): TaskStore {
      return must(store, 'the store (set in beforeEach)');
    },
    set store(s: TaskStore) {
      store = s;
    },
    open: (opts: StoreOptions = {}): TaskStore => {
      const s = openRaw({ now: ctx.clock.now, retryDelaysMs: DELAYS, ...opts });
      opened.push(s);
      return s;
    },
    enqueue: async (overrides: Partial<NewTask> = {}, s: TaskStore = ctx.store): Promise<Task> => {
      const task = await s.enqueue(newTask(overrides), Number.POSITIVE_INFINITY);
      ctx.clock.advance(1);
      return task;
    },
    claimed: async (workerId = 'w1', s: TaskStore = ctx.store): Promise<Task> =>
      must(await s.claim(workerId, LEASE), 'a claimed task'),
    updateTranscriptJson: (taskId, transcript) => target.updateTranscriptJson(taskId, transcript),
  };

  beforeEach(async () => {
    clock = new FakeClock();
    openRaw = await target.fresh();
    store = ctx.open();
    await store.migrate();
  });

  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });

  return ctx;
}
