import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../../src/core/errors/index.js';
import type { ConformanceContext } from './context.js';
import { ADMIN, ALICE, BOB, checkpoint, LEASE, must, plan, transcript } from './fixtures.js';

/** User transitions (cancel, retry, remove) and per-user scope. */
export function userTransitionsConformance(ctx: ConformanceContext): void {
  describe('cancel', () => {
    it('cancels a queued task', async () => {
      const { store, clock, enqueue } = ctx;
      const task = await enqueue();
      const cancelled = must(await store.cancel(task.id, ALICE));
      expect(cancelled).toMatchObject({ status: 'cancelled', finishedAt: clock.t });
      expect(await store.claim('w1', LEASE)).toBeNull();
      expect((await store.readEvents(0, 100, { taskId: task.id })).at(-1)?.type).toBe('cancelled');
    });

    it('cancels a processing task: drops the lease and the plan, so the worker stops', async () => {
      const { store, enqueue, claimed } = ctx;
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
      const { store, clock, enqueue, claimed } = ctx;
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
      const { store, clock, enqueue, claimed } = ctx;
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
      const { store, enqueue } = ctx;
      const task = await enqueue();
      await store.cancel(task.id, ALICE);
      expect(await store.retry(task.id, ADMIN)).toMatchObject({ status: 'queued', finishedAt: null });
    });

    it('refuses tasks that are queued, processing or succeeded', async () => {
      const { store, enqueue, claimed } = ctx;
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
      const { store, enqueue, claimed } = ctx;
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
      const { store, enqueue, claimed } = ctx;
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
      const { store, enqueue, claimed } = ctx;
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
}
