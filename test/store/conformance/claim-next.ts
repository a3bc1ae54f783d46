import { describe, expect, it } from 'vitest';
import type { Task } from '../../../src/core/task.js';
import type { TaskStore } from '../../../src/store/task.store.js';
import type { ConformanceContext } from './context.js';
import { ADMIN, ALICE, DELAYS, LEASE, must, transcript } from './fixtures.js';

/** completeAndClaim: exactly complete() then claim(), as one step, and neither when the lease is lost. */
export function claimNextConformance(ctx: ConformanceContext): void {
  /** What a task's row, transcript, artifacts and events look like, minus what differs by id. */
  async function outcome(s: TaskStore, task: Task) {
    const row = must(await s.get(task.id, ALICE));
    const events = await s.readEvents(0, 100, { taskId: task.id });
    return {
      row: { ...row, id: undefined, createdAt: undefined, runAt: undefined },
      transcript: await s.getTranscript(task.id),
      summary: (await s.getArtifact(task.id, 'summary'))?.status ?? null,
      events: events.map((e) => ({ type: e.type, data: e.data, createdAt: e.createdAt })),
    };
  }

  describe('completeAndClaim', () => {
    for (const [what, options] of [
      ['no artifact', {}],
      ['a summary', { summary: true }],
    ] as const) {
      it(`completes a task asking for ${what} exactly as complete() does, and claims the next`, async () => {
        const { store, clock, enqueue, claimed } = ctx;
        // Two tasks alike, one run to the end by complete(), the other by completeAndClaim().
        const alike = () => ({
          durationSeconds: null,
          options: { language: 'en', formats: ['json' as const], ...options },
        });
        const viaComplete = await enqueue(alike());
        const viaBoth = await enqueue(alike());
        const next = await enqueue({ durationSeconds: 30 });
        clock.t = viaComplete.createdAt + 1_000;
        await claimed('w1');
        clock.t = viaBoth.createdAt + 1_000;
        await claimed('w2');
        clock.t = viaComplete.createdAt + 9_000;
        expect(await store.complete(viaComplete.id, 'w1', { ...transcript, duration: 42.5 })).toBe(true);
        clock.t = viaBoth.createdAt + 9_000;
        const now = clock.t;
        const result = await store.completeAndClaim(viaBoth.id, 'w2', { ...transcript, duration: 42.5 }, LEASE);

        expect(result.completed).toBe(true);
        // Each task's times differ by exactly the 1 ms between their creations: shift one to compare.
        const gap = viaBoth.createdAt - viaComplete.createdAt;
        expect(shifted(await outcome(store, viaBoth), -gap)).toEqual(await outcome(store, viaComplete));
        expect((await outcome(store, viaBoth)).row).toMatchObject({
          status: 'succeeded',
          stage: 'done',
          durationSeconds: 42.5,
          doneSeconds: 42.5,
          finishedAt: now,
          leaseOwner: null,
        });
        expect(result.next).toMatchObject({
          id: next.id,
          status: 'processing',
          stage: 'decoding',
          attempts: 1,
          leaseOwner: 'w2',
          leaseExpiresAt: now + LEASE,
          startedAt: now,
          updatedAt: now,
        });
        expect(await store.get(next.id, ALICE)).toEqual(result.next);
        const nextEvents = await store.readEvents(0, 100, { taskId: next.id });
        expect(nextEvents.map((e) => [e.type, e.data])).toEqual([
          ['created', { status: 'queued', stage: 'waiting', priority: 0, sourceName: 'talk.wav' }],
          [
            'progress',
            { status: 'processing', stage: 'decoding', doneSeconds: 0, durationSeconds: 30, speed: null, attempts: 1 },
          ],
        ]);
        // The completed task's lease is gone, the claimed one's is held.
        expect(await store.heartbeat(viaBoth.id, 'w2', LEASE)).toBe(false);
        expect(await store.heartbeat(next.id, 'w2', LEASE)).toBe(true);
      });
    }

    it('completes and claims nothing when the queue is empty (or nothing is due)', async () => {
      const { store, clock, enqueue, claimed } = ctx;
      const task = await enqueue();
      const waiting = await enqueue();
      await claimed('w1');
      await claimed('w2');
      await store.fail(waiting.id, 'w2', { code: 'engine_failed', message: 'boom', retryable: true });
      expect(await store.completeAndClaim(task.id, 'w1', transcript, LEASE)).toEqual({ completed: true, next: null });
      expect(await store.get(task.id, ALICE)).toMatchObject({ status: 'succeeded' });
      expect(await store.getTranscript(task.id)).toEqual(transcript);
      expect(await store.get(waiting.id, ALICE)).toMatchObject({ status: 'queued', attempts: 1 });
      clock.advance(DELAYS[0] ?? 0);
      expect((await claimed('w1')).id).toBe(waiting.id);
    });

    it('writes nothing and claims nothing when the lease is not held', async () => {
      const { store, clock, enqueue, claimed } = ctx;
      const cancelled = await enqueue();
      const reclaimed = await enqueue();
      const queued = await enqueue();
      await claimed('w1');
      await claimed('w2');
      await store.cancel(cancelled.id, ADMIN);
      clock.advance(LEASE + 1);
      expect(await store.reclaimExpired(clock.t)).toBe(1);
      const before = await Promise.all([cancelled, reclaimed, queued].map((t) => outcome(store, t)));
      const seq = await store.latestEventSeq();

      for (const [task, worker] of [
        [cancelled, 'w1'],
        [reclaimed, 'w2'],
        [queued, 'w3'],
      ] as const) {
        expect(await store.completeAndClaim(task.id, worker, transcript, LEASE)).toEqual({
          completed: false,
          next: null,
        });
      }
      expect(await Promise.all([cancelled, reclaimed, queued].map((t) => outcome(store, t)))).toEqual(before);
      expect(await store.readEvents(seq, 100)).toEqual([]);
    });

    it('claims the highest priority, then the oldest, due task', async () => {
      const { store, enqueue, claimed } = ctx;
      const running = await enqueue();
      await claimed('w1');
      const low = await enqueue({ priority: 0 });
      const highOld = await enqueue({ priority: 7 });
      await enqueue({ priority: 7 });
      const first = await store.completeAndClaim(running.id, 'w1', transcript, LEASE);
      expect(first.next?.id).toBe(highOld.id);
      const second = await store.completeAndClaim(highOld.id, 'w1', transcript, LEASE);
      const third = await store.completeAndClaim(must(second.next).id, 'w1', transcript, LEASE);
      expect(third.next?.id).toBe(low.id);
    });

    // Truly concurrent on PostgreSQL (a pool of connections per instance); interleaved on SQLite.
    it('never gives a task to two workers completing and claiming at once on two store instances', async () => {
      const { store, open, enqueue } = ctx;
      const other = open();
      const ids = new Set<string>();
      for (let i = 0; i < 30; i++) ids.add((await enqueue({ priority: i % 3 })).id);
      const ran = new Map<string, string>();
      const duplicates: string[] = [];
      const worker = async (workerId: string, s: TaskStore): Promise<void> => {
        let task = await s.claim(workerId, LEASE);
        while (task) {
          if (ran.has(task.id)) duplicates.push(task.id);
          ran.set(task.id, workerId);
          const { completed, next } = await s.completeAndClaim(task.id, workerId, transcript, LEASE);
          if (!completed) throw new Error(`${workerId} lost the lease of ${task.id}`);
          task = next;
        }
      };
      await Promise.all(Array.from({ length: 6 }, (_, i) => worker(`w${i}`, i % 2 === 0 ? store : other)));
      expect(duplicates).toEqual([]);
      expect(new Set(ran.keys())).toEqual(ids);
      const page = await store.list(ADMIN, { limit: 100, offset: 0 });
      for (const t of page.tasks) expect(t).toMatchObject({ status: 'succeeded', attempts: 1, leaseOwner: null });
      for (const id of ids) {
        const types = (await store.readEvents(0, 100, { taskId: id })).map((e) => e.type);
        expect(types).toEqual(['created', 'progress', 'done']);
      }
    });
  });
}

/** `o` with every time field moved by `ms` (to compare two tasks run the same way at different times). */
function shifted<T extends { row: Record<string, unknown>; events: { createdAt: number }[] }>(o: T, ms: number): T {
  const at = (v: unknown) => (typeof v === 'number' ? v + ms : v);
  return {
    ...o,
    row: { ...o.row, startedAt: at(o.row.startedAt), finishedAt: at(o.row.finishedAt), updatedAt: at(o.row.updatedAt) },
    events: o.events.map((e) => ({ ...e, createdAt: e.createdAt + ms })),
  };
}
