import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, QueueFullError } from '../../src/core/errors/index.js';
import type { ChunkCheckpoint, Task } from '../../src/core/task.js';
import type { Transcript } from '../../src/core/transcript.js';
import type { StoreOptions } from '../../src/store/store-options.js';
import type { NewTask, Scope, TaskStore } from '../../src/store/task.store.js';

/** Opens a store instance on the test's database; every call is a new instance on the same data. */
export type OpenStore = (opts?: StoreOptions) => TaskStore;

export interface ConformanceTarget {
  /** Prepares an empty database for one test (migrated or not) and returns how to open stores on it. */
  fresh(): Promise<OpenStore>;
}

const DELAYS = [1_000, 5_000, 20_000];
const LEASE = 30_000;
const ALICE: Scope = { userId: 'alice' };
const BOB: Scope = { userId: 'bob' };
const ADMIN: Scope = { admin: true };

/** A clock the test moves by hand: backoffs and lease expiry are tested without sleeping. */
class FakeClock {
  t = 1_700_000_000_000;
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

function must<T>(value: T | null | undefined, what = 'value'): T {
  if (value === null || value === undefined) throw new Error(`expected ${what}`);
  return value;
}

function newTask(overrides: Partial<NewTask> = {}): NewTask {
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

function checkpoint(index: number, attempt: number): ChunkCheckpoint {
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

const plan = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ index: i, startSample: i * 160_000, endSample: (i + 1) * 160_000 }));

const transcript: Transcript = {
  language: 'en',
  duration: 60,
  segments: [{ start: 0, end: 2, text: 'hello world', words: [] }],
  text: 'hello world',
};

/** The TaskStore contract, run against every adapter for real. */
export function taskStoreConformance(name: string, target: ConformanceTarget): void {
  describe(`TaskStore conformance: ${name}`, () => {
    let openRaw: OpenStore;
    const opened: TaskStore[] = [];
    let clock: FakeClock;
    let store: TaskStore;

    const open = (opts: StoreOptions = {}): TaskStore => {
      const s = openRaw({ now: clock.now, retryDelaysMs: DELAYS, ...opts });
      opened.push(s);
      return s;
    };

    /** Enqueues with no bound and moves the clock on, so creation order is unambiguous. */
    const enqueue = async (overrides: Partial<NewTask> = {}, s: TaskStore = store): Promise<Task> => {
      const task = await s.enqueue(newTask(overrides), Number.POSITIVE_INFINITY);
      clock.advance(1);
      return task;
    };

    const claimed = async (workerId = 'w1', s: TaskStore = store): Promise<Task> =>
      must(await s.claim(workerId, LEASE), 'a claimed task');

    beforeEach(async () => {
      clock = new FakeClock();
      openRaw = await target.fresh();
      store = open();
      await store.migrate();
    });

    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    describe('migrations', () => {
      it('migrate() is idempotent and keeps data', async () => {
        const task = await enqueue();
        await store.migrate();
        const other = open();
        await Promise.all([other.migrate(), store.migrate()]);
        expect(await other.get(task.id, ADMIN)).toEqual(task);
      });
    });

    describe('users', () => {
      it('creates, finds by token hash and lists users; names and token hashes are unique', async () => {
        const alice = await store.createUser('alice', 'user', 'hash-a');
        clock.advance(1);
        const root = await store.createUser('root', 'admin', 'hash-r');
        expect(alice).toMatchObject({ name: 'alice', role: 'user', createdAt: clock.t - 1 });
        expect(typeof alice.id).toBe('string');
        expect(await store.findUserByTokenHash('hash-r')).toEqual(root);
        expect(await store.findUserByTokenHash('nope')).toBeNull();
        expect(await store.listUsers()).toEqual([alice, root]);
        await expect(store.createUser('alice', 'user', 'hash-x')).rejects.toMatchObject({ code: 'user_exists' });
        await expect(store.createUser('carol', 'user', 'hash-a')).rejects.toBeInstanceOf(ConflictError);
        expect(await store.listUsers()).toHaveLength(2);
      });
    });

    describe('enqueue and read', () => {
      it('inserts a queued task and appends a created event', async () => {
        const input = newTask({ priority: 5, callbackUrl: 'https://example.test/hook' });
        const task = await store.enqueue(input, 10);
        expect(task).toEqual({
          ...input,
          status: 'queued',
          stage: 'waiting',
          attempts: 0,
          runAt: clock.t,
          doneSeconds: 0,
          speed: null,
          errorCode: null,
          errorMessage: null,
          leaseOwner: null,
          leaseExpiresAt: null,
          createdAt: clock.t,
          startedAt: null,
          finishedAt: null,
          updatedAt: clock.t,
        });
        expect(await store.get(task.id, ALICE)).toEqual(task);
        const events = await store.readEvents(0, 10);
        expect(events).toEqual([
          {
            seq: expect.any(Number),
            taskId: task.id,
            userId: 'alice',
            type: 'created',
            data: expect.objectContaining({ status: 'queued' }),
            createdAt: clock.t,
          },
        ]);
      });

      it('rejects a duplicate id with ConflictError', async () => {
        const task = await enqueue();
        await expect(store.enqueue(newTask({ id: task.id }), 10)).rejects.toBeInstanceOf(ConflictError);
      });

      it('bounds the number of queued tasks; processing tasks do not count', async () => {
        await store.enqueue(newTask(), 2);
        await store.enqueue(newTask(), 2);
        const err = await store.enqueue(newTask(), 2).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(QueueFullError);
        expect(err).toMatchObject({ code: 'queue_full', status: 429 });
        expect((await store.countByStatus()).queued).toBe(2);
        await claimed();
        await expect(store.enqueue(newTask(), 2)).resolves.toMatchObject({ status: 'queued' });
      });

      it('keeps the bound under concurrent enqueues', async () => {
        const other = open();
        const results = await Promise.allSettled(
          Array.from({ length: 12 }, (_, i) => (i % 2 ? store : other).enqueue(newTask(), 5)),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(QueueFullError);
        expect((await store.countByStatus()).queued).toBe(5);
      });

      it('lists newest first with status filter, paging, total and counts for the scope', async () => {
        const a1 = await enqueue();
        const a2 = await enqueue();
        const a3 = await enqueue();
        const b1 = await enqueue({ userId: 'bob' });
        const running = await claimed(); // a1: oldest of the highest priority
        expect(running.id).toBe(a1.id);

        const page = await store.list(ALICE, { limit: 2, offset: 0 });
        expect(page.tasks.map((t) => t.id)).toEqual([a3.id, a2.id]);
        expect(page.total).toBe(3);
        expect(page.counts).toEqual({ queued: 2, processing: 1, succeeded: 0, failed: 0, cancelled: 0 });

        const next = await store.list(ALICE, { limit: 2, offset: 2 });
        expect(next.tasks.map((t) => t.id)).toEqual([a1.id]);

        const queued = await store.list(ALICE, { status: 'queued', limit: 10, offset: 0 });
        expect(queued.tasks.map((t) => t.id)).toEqual([a3.id, a2.id]);
        expect(queued.total).toBe(2);
        expect(queued.counts.processing).toBe(1);

        const all = await store.list(ADMIN, { limit: 10, offset: 0 });
        expect(all.tasks.map((t) => t.id)).toEqual([b1.id, a3.id, a2.id, a1.id]);
        expect(all.counts).toEqual({ queued: 3, processing: 1, succeeded: 0, failed: 0, cancelled: 0 });

        const bob = await store.list(BOB, { status: 'processing', limit: 10, offset: 0 });
        expect(bob).toEqual({
          tasks: [],
          total: 0,
          counts: { queued: 1, processing: 0, succeeded: 0, failed: 0, cancelled: 0 },
        });
        expect(await store.countByStatus()).toEqual({
          queued: 3,
          processing: 1,
          succeeded: 0,
          failed: 0,
          cancelled: 0,
        });
      });
    });

    describe('claim', () => {
      it('returns null when nothing is runnable', async () => {
        expect(await store.claim('w1', LEASE)).toBeNull();
      });

      it('takes the highest priority, then the oldest, and grants a lease', async () => {
        const low = await enqueue({ priority: 0 });
        const highOld = await enqueue({ priority: 5 });
        const highNew = await enqueue({ priority: 5 });
        const now = clock.t;
        const first = await claimed('w1');
        expect(first).toMatchObject({
          id: highOld.id,
          status: 'processing',
          stage: 'decoding',
          attempts: 1,
          leaseOwner: 'w1',
          leaseExpiresAt: now + LEASE,
          startedAt: now,
          updatedAt: now,
        });
        expect((await claimed('w2')).id).toBe(highNew.id);
        expect((await claimed('w3')).id).toBe(low.id);
        expect(await store.claim('w4', LEASE)).toBeNull();
        const events = await store.readEvents(0, 100, { taskId: highOld.id });
        expect(events.map((e) => e.type)).toEqual(['created', 'progress']);
        expect(events[1]?.data).toEqual({
          status: 'processing',
          stage: 'decoding',
          doneSeconds: 0,
          durationSeconds: 60,
          speed: null,
          attempts: 1,
        });
      });

      it('orders tasks created in the same millisecond by id', async () => {
        const ids = ['c', 'a', 'b'].map((s) => `${s}-${randomUUID()}`);
        for (const id of ids) await store.enqueue(newTask({ id }), Number.POSITIVE_INFINITY);
        const got = [(await claimed()).id, (await claimed()).id, (await claimed()).id];
        expect(got).toEqual([...ids].sort());
      });

      it('skips tasks whose runAt is in the future', async () => {
        const first = await enqueue();
        await claimed();
        await store.fail(first.id, 'w1', { code: 'engine_failed', message: 'boom', retryable: true });
        const second = await enqueue();
        expect((await claimed('w2')).id).toBe(second.id);
        expect(await store.claim('w3', LEASE)).toBeNull();
        clock.advance(DELAYS[0] ?? 0);
        expect((await claimed('w3')).id).toBe(first.id);
      });

      it('gives every task to exactly one of many concurrent claimers on two store instances', async () => {
        const other = open();
        const ids = new Set<string>();
        for (let i = 0; i < 20; i++) ids.add((await enqueue({ priority: i % 3 })).id);
        const claims = new Map<string, string>();
        const duplicates: string[] = [];
        const claimer = async (workerId: string, s: TaskStore): Promise<void> => {
          for (;;) {
            const task = await s.claim(workerId, LEASE);
            if (!task) return;
            if (claims.has(task.id)) duplicates.push(task.id);
            claims.set(task.id, workerId);
          }
        };
        await Promise.all(Array.from({ length: 10 }, (_, i) => claimer(`w${i}`, i % 2 === 0 ? store : other)));
        expect(duplicates).toEqual([]);
        expect(new Set(claims.keys())).toEqual(ids);
        const page = await store.list(ADMIN, { limit: 100, offset: 0 });
        for (const t of page.tasks) {
          expect(t).toMatchObject({ status: 'processing', attempts: 1, leaseOwner: claims.get(t.id) });
        }
      });
    });

    describe('lease holder only', () => {
      it('heartbeat extends the lease for the holder only', async () => {
        const task = await enqueue();
        await claimed('w1');
        clock.advance(10_000);
        expect(await store.heartbeat(task.id, 'w2', LEASE)).toBe(false);
        expect(await store.heartbeat(task.id, 'w1', LEASE)).toBe(true);
        expect((await store.get(task.id, ADMIN))?.leaseExpiresAt).toBe(clock.t + LEASE);
        expect(await store.heartbeat('missing', 'w1', LEASE)).toBe(false);
      });

      it('a second worker cannot report progress, plan, checkpoint, complete, fail or release', async () => {
        const task = await enqueue();
        await claimed('w1');
        const before = await store.get(task.id, ADMIN);
        const seq = await store.latestEventSeq();
        expect(await store.reportProgress(task.id, 'w2', { stage: 'recognizing', doneSeconds: 5 })).toBe(false);
        expect(await store.savePlan(task.id, 'w2', plan(2), true)).toBe(false);
        expect(await store.checkpointChunk(task.id, 'w2', checkpoint(0, 1))).toBe(false);
        expect(await store.complete(task.id, 'w2', transcript)).toBe(false);
        expect(await store.fail(task.id, 'w2', { code: 'x', message: 'x', retryable: false })).toBeNull();
        expect(await store.release(task.id, 'w2')).toBe(false);
        expect(await store.get(task.id, ADMIN)).toEqual(before);
        expect(await store.getPlan(task.id)).toEqual({ complete: false, chunks: [] });
        expect(await store.getTranscript(task.id)).toBeNull();
        expect(await store.latestEventSeq()).toBe(seq);
      });

      it('worker transitions fail on a task that is not processing', async () => {
        const task = await enqueue();
        expect(await store.heartbeat(task.id, 'w1', LEASE)).toBe(false);
        expect(await store.reportProgress(task.id, 'w1', { stage: 'decoding', doneSeconds: 0 })).toBe(false);
        expect(await store.complete(task.id, 'w1', transcript)).toBe(false);
        expect(await store.fail(task.id, 'w1', { code: 'x', message: 'x', retryable: true })).toBeNull();
      });
    });

    describe('progress', () => {
      it('records stage, done seconds, duration and speed and appends a progress event', async () => {
        const task = await enqueue({ durationSeconds: null });
        await claimed('w1');
        clock.advance(500);
        expect(
          await store.reportProgress(task.id, 'w1', {
            stage: 'recognizing',
            doneSeconds: 12.5,
            durationSeconds: 90,
            speed: 4.5,
          }),
        ).toBe(true);
        expect(await store.get(task.id, ALICE)).toMatchObject({
          stage: 'recognizing',
          doneSeconds: 12.5,
          durationSeconds: 90,
          speed: 4.5,
          updatedAt: clock.t,
        });
        // Omitted duration and speed keep their values.
        expect(await store.reportProgress(task.id, 'w1', { stage: 'merging', doneSeconds: 90 })).toBe(true);
        expect(await store.get(task.id, ALICE)).toMatchObject({ stage: 'merging', durationSeconds: 90, speed: 4.5 });
        const events = await store.readEvents(0, 100, { taskId: task.id });
        expect(events.slice(-2).map((e) => e.data)).toEqual([
          {
            status: 'processing',
            stage: 'recognizing',
            doneSeconds: 12.5,
            durationSeconds: 90,
            speed: 4.5,
            attempts: 1,
          },
          { status: 'processing', stage: 'merging', doneSeconds: 90, durationSeconds: 90, speed: 4.5, attempts: 1 },
        ]);
      });
    });

    describe('plan and checkpoints', () => {
      it('saves a plan (keeping existing rows), trims it when complete and stores checkpoints', async () => {
        const task = await enqueue();
        await claimed('w1');
        expect(await store.getPlan(task.id)).toEqual({ complete: false, chunks: [] });
        expect(await store.savePlan(task.id, 'w1', plan(4), false)).toBe(true);
        expect(await store.checkpointChunk(task.id, 'w1', checkpoint(1, 1))).toBe(true);
        // Re-saving an overlapping plan keeps the checkpoint of chunk 1.
        expect(await store.savePlan(task.id, 'w1', plan(3), true)).toBe(true);
        const stored = await store.getPlan(task.id);
        expect(stored.complete).toBe(true);
        expect(stored.chunks.map((c) => c.index)).toEqual([0, 1, 2]);
        expect(stored.chunks[0]).toEqual({ ...plan(3)[0], checkpoint: null });
        expect(stored.chunks[1]?.checkpoint).toEqual(checkpoint(1, 1));
      });

      it('checkpointing a chunk with no plan row inserts it; a second checkpoint replaces the first', async () => {
        const task = await enqueue();
        await claimed('w1');
        expect(await store.checkpointChunk(task.id, 'w1', checkpoint(2, 1))).toBe(true);
        const replaced = { ...checkpoint(2, 1), segments: [] };
        expect(await store.checkpointChunk(task.id, 'w1', replaced)).toBe(true);
        const { chunks } = await store.getPlan(task.id);
        expect(chunks).toEqual([
          { index: 2, startSample: replaced.startSample, endSample: replaced.endSample, checkpoint: replaced },
        ]);
        const events = await store.readEvents(0, 100, { taskId: task.id });
        const segment = events.filter((e) => e.type === 'segment');
        expect(segment.map((e) => e.data)).toEqual([
          {
            index: 2,
            startSample: replaced.startSample,
            endSample: replaced.endSample,
            segments: checkpoint(2, 1).segments,
          },
          { index: 2, startSample: replaced.startSample, endSample: replaced.endSample, segments: [] },
        ]);
      });

      it('persists plan and checkpoints across a reopened store; a retry resumes from them', async () => {
        const task = await enqueue();
        await claimed('w1');
        await store.savePlan(task.id, 'w1', plan(3), true);
        await store.checkpointChunk(task.id, 'w1', checkpoint(0, 1));
        await store.fail(task.id, 'w1', { code: 'engine_failed', message: 'crash', retryable: true });
        await store.close();

        store = open();
        await store.migrate();
        const reopened = await store.getPlan(task.id);
        expect(reopened.complete).toBe(true);
        expect(reopened.chunks.map((c) => c.checkpoint?.attempt ?? null)).toEqual([1, null, null]);
        clock.advance(DELAYS[0] ?? 0);
        const again = await claimed('w2');
        expect(again.attempts).toBe(2);
        expect(await store.checkpointChunk(task.id, 'w2', checkpoint(1, 2))).toBe(true);
        expect((await store.getPlan(task.id)).chunks.map((c) => c.checkpoint?.attempt ?? null)).toEqual([1, 2, null]);
      });
    });

    describe('complete', () => {
      it('marks the task succeeded, stores the transcript and appends a done event', async () => {
        const task = await enqueue({ durationSeconds: 60 });
        await claimed('w1');
        expect(await store.getTranscript(task.id)).toBeNull();
        clock.advance(5_000);
        expect(await store.complete(task.id, 'w1', transcript)).toBe(true);
        expect(await store.get(task.id, ALICE)).toMatchObject({
          status: 'succeeded',
          stage: 'done',
          doneSeconds: 60,
          durationSeconds: 60,
          finishedAt: clock.t,
          leaseOwner: null,
          leaseExpiresAt: null,
        });
        expect(await store.getTranscript(task.id)).toEqual(transcript);
        const last = (await store.readEvents(0, 100, { taskId: task.id })).at(-1);
        expect(last).toMatchObject({ type: 'done', data: { status: 'succeeded', doneSeconds: 60 } });
        // The lease is gone: a late heartbeat or second completion fails.
        expect(await store.heartbeat(task.id, 'w1', LEASE)).toBe(false);
        expect(await store.complete(task.id, 'w1', transcript)).toBe(false);
      });

      it("takes the transcript's duration when none was probed", async () => {
        const task = await enqueue({ durationSeconds: null });
        await claimed('w1');
        await store.complete(task.id, 'w1', { ...transcript, duration: 42.5 });
        expect(await store.get(task.id, ALICE)).toMatchObject({ durationSeconds: 42.5, doneSeconds: 42.5 });
      });
    });

    describe('fail and retry backoff', () => {
      it('re-queues retryable failures with the configured backoff until attempts run out', async () => {
        const task = await enqueue({ maxAttempts: 3 });
        for (let attempt = 1; attempt <= 2; attempt++) {
          const t = await claimed(`w${attempt}`);
          expect(t.attempts).toBe(attempt);
          const failedAt = clock.t;
          const after = must(
            await store.fail(task.id, `w${attempt}`, {
              code: 'engine_failed',
              message: `crash ${attempt}`,
              retryable: true,
            }),
          );
          const delay = DELAYS[attempt - 1] ?? 0;
          expect(after).toMatchObject({
            status: 'queued',
            stage: 'waiting',
            attempts: attempt,
            runAt: failedAt + delay,
            errorCode: 'engine_failed',
            errorMessage: `crash ${attempt}`,
            leaseOwner: null,
            leaseExpiresAt: null,
            finishedAt: null,
          });
          clock.advance(delay - 1);
          expect(await store.claim('early', LEASE)).toBeNull();
          clock.advance(1);
        }
        const last = await claimed('w3');
        expect(last).toMatchObject({ attempts: 3, errorCode: null, errorMessage: null });
        const final = must(
          await store.fail(task.id, 'w3', { code: 'engine_failed', message: 'crash 3', retryable: true }),
        );
        expect(final).toMatchObject({ status: 'failed', attempts: 3, finishedAt: clock.t, errorMessage: 'crash 3' });
        const types = (await store.readEvents(0, 100, { taskId: task.id })).map((e) => e.type);
        expect(types).toEqual(['created', 'progress', 'retrying', 'progress', 'retrying', 'progress', 'error']);
        const retrying = (await store.readEvents(0, 100, { taskId: task.id })).find((e) => e.type === 'retrying');
        expect(retrying?.data).toMatchObject({ status: 'queued', attempts: 1, errorCode: 'engine_failed' });
      });

      it('fails non-retryable errors at once and keeps the checkpoints', async () => {
        const task = await enqueue({ maxAttempts: 5 });
        await claimed('w1');
        await store.checkpointChunk(task.id, 'w1', checkpoint(0, 1));
        const failed = must(
          await store.fail(task.id, 'w1', { code: 'bad_audio', message: 'not audio', retryable: false }),
        );
        expect(failed).toMatchObject({ status: 'failed', attempts: 1, errorCode: 'bad_audio', leaseOwner: null });
        expect((await store.getPlan(task.id)).chunks).toHaveLength(1);
        expect(await store.claim('w2', LEASE)).toBeNull();
      });

      it('uses DEFAULT_RETRY_DELAYS_MS when no delays are configured', async () => {
        const plain = open({ now: clock.now, retryDelaysMs: undefined });
        const task = await enqueue({}, plain);
        await claimed('w1', plain);
        const after = must(await plain.fail(task.id, 'w1', { code: 'engine_failed', message: 'x', retryable: true }));
        expect(after.runAt).toBe(clock.t + 5_000);
      });
    });

    describe('release', () => {
      it('puts the task back without counting the attempt and keeps checkpoints', async () => {
        const task = await enqueue();
        await claimed('w1');
        await store.checkpointChunk(task.id, 'w1', checkpoint(0, 1));
        expect(await store.release(task.id, 'w1')).toBe(true);
        expect(await store.get(task.id, ALICE)).toMatchObject({
          status: 'queued',
          stage: 'waiting',
          attempts: 0,
          leaseOwner: null,
          leaseExpiresAt: null,
        });
        expect(await store.heartbeat(task.id, 'w1', LEASE)).toBe(false);
        expect((await claimed('w2')).attempts).toBe(1);
        expect((await store.getPlan(task.id)).chunks[0]?.checkpoint?.attempt).toBe(1);
      });
    });

    describe('reclaimExpired', () => {
      it('re-queues tasks whose lease expired, with worker_lost, and leaves live leases alone', async () => {
        const dead = await enqueue();
        const alive = await enqueue();
        await claimed('dead-worker');
        await claimed('live-worker');
        clock.advance(LEASE - 1);
        expect(await store.heartbeat(alive.id, 'live-worker', LEASE)).toBe(true);
        expect(await store.reclaimExpired(clock.t)).toBe(0);
        clock.advance(2);
        expect(await store.reclaimExpired(clock.t)).toBe(1);
        expect(await store.get(dead.id, ADMIN)).toMatchObject({
          status: 'queued',
          attempts: 1,
          errorCode: 'worker_lost',
          runAt: clock.t + (DELAYS[0] ?? 0),
          leaseOwner: null,
        });
        expect(await store.get(alive.id, ADMIN)).toMatchObject({ status: 'processing', leaseOwner: 'live-worker' });
        // The old holder has lost the task for good, even after a new worker takes it.
        expect(await store.heartbeat(dead.id, 'dead-worker', LEASE)).toBe(false);
        clock.advance(DELAYS[0] ?? 0);
        await claimed('rescuer');
        expect(await store.complete(dead.id, 'dead-worker', transcript)).toBe(false);
        expect(await store.complete(dead.id, 'rescuer', transcript)).toBe(true);
        expect(await store.reclaimExpired(clock.t)).toBe(0);
      });

      it('fails the task when its attempts are used up', async () => {
        const task = await enqueue({ maxAttempts: 1 });
        await claimed('w1');
        clock.advance(LEASE + 1);
        expect(await store.reclaimExpired(clock.t)).toBe(1);
        expect(await store.get(task.id, ADMIN)).toMatchObject({
          status: 'failed',
          errorCode: 'worker_lost',
          finishedAt: clock.t,
        });
        expect((await store.readEvents(0, 100, { taskId: task.id })).at(-1)?.type).toBe('error');
      });
    });

    describe('cancel', () => {
      it('cancels a queued task', async () => {
        const task = await enqueue();
        const cancelled = must(await store.cancel(task.id, ALICE));
        expect(cancelled).toMatchObject({ status: 'cancelled', finishedAt: clock.t });
        expect(await store.claim('w1', LEASE)).toBeNull();
        expect((await store.readEvents(0, 100, { taskId: task.id })).at(-1)?.type).toBe('cancelled');
      });

      it('cancels a processing task: drops the lease and the plan, so the worker stops', async () => {
        const task = await enqueue();
        await claimed('w1');
        await store.savePlan(task.id, 'w1', plan(2), true);
        await store.checkpointChunk(task.id, 'w1', checkpoint(0, 1));
        const cancelled = must(await store.cancel(task.id, ADMIN));
        expect(cancelled).toMatchObject({ status: 'cancelled', leaseOwner: null, leaseExpiresAt: null });
        expect(await store.getPlan(task.id)).toEqual({ complete: false, chunks: [] });
        expect(await store.heartbeat(task.id, 'w1', LEASE)).toBe(false);
        expect(await store.checkpointChunk(task.id, 'w1', checkpoint(1, 1))).toBe(false);
        expect(await store.complete(task.id, 'w1', transcript)).toBe(false);
        expect((await store.get(task.id, ADMIN))?.status).toBe('cancelled');
      });

      it('returns a finished task unchanged', async () => {
        const task = await enqueue();
        await claimed('w1');
        await store.complete(task.id, 'w1', transcript);
        const done = await store.get(task.id, ALICE);
        const seq = await store.latestEventSeq();
        clock.advance(10);
        expect(await store.cancel(task.id, ALICE)).toEqual(done);
        const cancelled = must(await store.cancel((await enqueue()).id, ALICE));
        clock.advance(10);
        expect(await store.cancel(cancelled.id, ALICE)).toEqual(cancelled);
        expect(await store.latestEventSeq()).toBe(seq + 2); // created + cancelled of the second task only
      });
    });

    describe('retry', () => {
      it('re-queues a failed task with attempts reset', async () => {
        const task = await enqueue({ maxAttempts: 1 });
        await claimed('w1');
        await store.fail(task.id, 'w1', { code: 'engine_failed', message: 'x', retryable: true });
        clock.advance(100);
        const queued = must(await store.retry(task.id, ALICE));
        expect(queued).toMatchObject({
          status: 'queued',
          stage: 'waiting',
          attempts: 0,
          runAt: clock.t,
          errorCode: null,
          errorMessage: null,
          finishedAt: null,
        });
        expect((await store.readEvents(0, 100, { taskId: task.id })).at(-1)?.type).toBe('retrying');
        expect((await claimed('w2')).attempts).toBe(1);
      });

      it('re-queues a cancelled task', async () => {
        const task = await enqueue();
        await store.cancel(task.id, ALICE);
        expect(await store.retry(task.id, ADMIN)).toMatchObject({ status: 'queued', finishedAt: null });
      });

      it('refuses tasks that are queued, processing or succeeded', async () => {
        const task = await enqueue();
        const err = await store.retry(task.id, ALICE).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConflictError);
        expect(err).toMatchObject({
          code: 'invalid_state',
          status: 409,
          message: 'task is queued; only failed or cancelled tasks can be retried',
        });
        await claimed('w1');
        await expect(store.retry(task.id, ALICE)).rejects.toMatchObject({ code: 'invalid_state' });
        await store.complete(task.id, 'w1', transcript);
        await expect(store.retry(task.id, ALICE)).rejects.toMatchObject({ code: 'invalid_state' });
        expect((await store.get(task.id, ALICE))?.status).toBe('succeeded');
      });
    });

    describe('remove', () => {
      it('deletes the task with its plan, checkpoints and transcript and appends a deleted event', async () => {
        const task = await enqueue();
        await claimed('w1');
        await store.checkpointChunk(task.id, 'w1', checkpoint(0, 1));
        await store.complete(task.id, 'w1', transcript);
        const row = await store.get(task.id, ALICE);
        expect(await store.remove(task.id, ALICE)).toEqual(row);
        expect(await store.get(task.id, ADMIN)).toBeNull();
        expect(await store.getPlan(task.id)).toEqual({ complete: false, chunks: [] });
        expect(await store.getTranscript(task.id)).toBeNull();
        expect(await store.remove(task.id, ALICE)).toBeNull();
        const last = (await store.readEvents(0, 100, { taskId: task.id })).at(-1);
        expect(last).toMatchObject({ type: 'deleted', taskId: task.id, userId: 'alice' });
      });

      it('removing a processing task takes the lease away', async () => {
        const task = await enqueue();
        await claimed('w1');
        expect(await store.remove(task.id, ADMIN)).toMatchObject({ status: 'processing' });
        expect(await store.heartbeat(task.id, 'w1', LEASE)).toBe(false);
        expect(await store.checkpointChunk(task.id, 'w1', checkpoint(0, 1))).toBe(false);
        expect(await store.fail(task.id, 'w1', { code: 'x', message: 'x', retryable: true })).toBeNull();
      });
    });

    describe('scope', () => {
      it("treats another user's task exactly like a missing one, on every scoped method", async () => {
        const task = await enqueue({ userId: 'alice' });
        const before = await store.get(task.id, ADMIN);
        for (const id of [task.id, 'missing']) {
          expect(await store.get(id, BOB)).toBeNull();
          expect(await store.cancel(id, BOB)).toBeNull();
          expect(await store.retry(id, BOB)).toBeNull();
          expect(await store.remove(id, BOB)).toBeNull();
        }
        expect((await store.list(BOB, { limit: 10, offset: 0 })).total).toBe(0);
        expect(await store.get(task.id, ADMIN)).toEqual(before);
        expect(await store.get(task.id, ALICE)).toEqual(before);
        // A failed task a foreign user tries to retry stays failed.
        await claimed('w1');
        await store.fail(task.id, 'w1', { code: 'bad_audio', message: 'x', retryable: false });
        expect(await store.retry(task.id, BOB)).toBeNull();
        expect((await store.get(task.id, ALICE))?.status).toBe('failed');
        expect(await store.retry(task.id, ADMIN)).toMatchObject({ status: 'queued' });
      });
    });

    describe('events', () => {
      it('reads in seq order after a cursor, with limit and task/user filters', async () => {
        const a = await enqueue({ userId: 'alice' });
        const b = await enqueue({ userId: 'bob' });
        await claimed('w1'); // a
        await store.checkpointChunk(a.id, 'w1', checkpoint(0, 1));
        await store.complete(a.id, 'w1', transcript);
        await store.cancel(b.id, BOB);

        const all = await store.readEvents(0, 100);
        expect(all.map((e) => [e.taskId, e.type])).toEqual([
          [a.id, 'created'],
          [b.id, 'created'],
          [a.id, 'progress'],
          [a.id, 'segment'],
          [a.id, 'done'],
          [b.id, 'cancelled'],
        ]);
        const seqs = all.map((e) => e.seq);
        expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
        expect(new Set(seqs).size).toBe(seqs.length);
        expect(await store.latestEventSeq()).toBe(seqs.at(-1));

        const cursor = must(all[2]).seq;
        expect((await store.readEvents(cursor, 2)).map((e) => e.type)).toEqual(['segment', 'done']);
        expect((await store.readEvents(0, 100, { userId: 'bob' })).map((e) => e.type)).toEqual([
          'created',
          'cancelled',
        ]);
        expect((await store.readEvents(0, 100, { taskId: a.id, userId: 'bob' })).length).toBe(0);
        expect((await store.readEvents(cursor, 100, { taskId: a.id })).map((e) => e.type)).toEqual(['segment', 'done']);
        expect(await store.readEvents(must(seqs.at(-1)), 100)).toEqual([]);
      });

      it('latestEventSeq is 0 for an empty log', async () => {
        expect(await store.latestEventSeq()).toBe(0);
        expect(await store.readEvents(0, 10)).toEqual([]);
      });

      it('prunes events older than a time and beyond the newest N', async () => {
        for (let i = 0; i < 3; i++) await enqueue(); // created at t, t+1, t+2
        const cutoff = clock.t;
        clock.advance(1_000);
        for (let i = 0; i < 4; i++) await enqueue();
        expect(await store.pruneEvents(cutoff, 100)).toBe(3);
        expect(await store.readEvents(0, 100)).toHaveLength(4);
        const newest = (await store.readEvents(0, 100)).slice(-2);
        expect(await store.pruneEvents(0, 2)).toBe(2);
        expect(await store.readEvents(0, 100)).toEqual(newest);
        const latest = await store.latestEventSeq();
        expect(await store.pruneEvents(0, 2)).toBe(0);
        // New events keep counting up after pruning: seq is a resume cursor.
        await enqueue();
        expect(await store.latestEventSeq()).toBeGreaterThan(latest);
      });
    });
  });
}
