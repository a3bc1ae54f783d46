import { describe, expect, it } from 'vitest';
import { ConflictError, QueueFullError } from '../../../src/core/errors/index.js';
import type { ConformanceContext } from './context.js';
import { ADMIN, ALICE, BOB, newTask } from './fixtures.js';

/** Enqueueing (with the queue bound) and reading tasks back: get, list, counts. */
export function enqueueConformance(ctx: ConformanceContext): void {
  describe('enqueue and read', () => {
    it('inserts a queued task and appends a created event', async () => {
      const { store, clock } = ctx;
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
        title: null,
        wordCount: null,
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
      const { store, enqueue } = ctx;
      const task = await enqueue();
      await expect(store.enqueue(newTask({ id: task.id }), 10)).rejects.toBeInstanceOf(ConflictError);
    });

    it('bounds the number of queued tasks; processing tasks do not count', async () => {
      const { store, claimed } = ctx;
      await store.enqueue(newTask(), 2);
      await store.enqueue(newTask(), 2);
      const err = await store.enqueue(newTask(), 2).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QueueFullError);
      expect(err).toMatchObject({ code: 'queue_full', status: 429 });
      expect((await store.countByStatus()).queued).toBe(2);
      expect(await store.queuedCount()).toBe(2);
      await claimed();
      expect(await store.queuedCount()).toBe(1);
      await expect(store.enqueue(newTask(), 2)).resolves.toMatchObject({ status: 'queued' });
      expect(await store.queuedCount()).toBe(2);
    });

    // Concurrent on PostgreSQL; interleaved one at a time on SQLite's synchronous driver.
    it('keeps the bound under interleaved enqueues on two store instances', async () => {
      const { store, open } = ctx;
      const other = open();
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? store : other).enqueue(newTask(), 5)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(QueueFullError);
      expect((await store.countByStatus()).queued).toBe(5);
      expect(await store.queuedCount()).toBe(5);
    });

    it('lists newest first with status filter, paging, total and counts for the scope', async () => {
      const { store, enqueue, claimed } = ctx;
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
}
