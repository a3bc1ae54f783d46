import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../../src/core/errors/index.js';
import type { ConformanceContext } from './context.js';
import { ADMIN, ALICE, BOB, LEASE, must, newTask, transcript } from './fixtures.js';

/** addFinished: a task inserted already succeeded (a saved live session) reads like one that ran. */
export function addFinishedConformance(ctx: ConformanceContext): void {
  describe('addFinished', () => {
    it('inserts a succeeded task with its transcript, without ever queueing it', async () => {
      const { store, clock } = ctx;
      const input = newTask({ durationSeconds: null, sourceName: 'live session' });
      const task = await store.addFinished(input, { ...transcript, duration: 12.25 });
      expect(task).toEqual({
        ...input,
        status: 'succeeded',
        stage: 'done',
        attempts: 0,
        runAt: clock.t,
        durationSeconds: 12.25,
        doneSeconds: 12.25,
        speed: null,
        errorCode: null,
        errorMessage: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        createdAt: clock.t,
        startedAt: clock.t,
        finishedAt: clock.t,
        updatedAt: clock.t,
        title: null,
        // 'hello world', a segment without word timings: its text's words.
        wordCount: 2,
      });
      expect(await store.get(task.id, ALICE)).toEqual(task);
      expect(await store.get(task.id, BOB)).toBeNull();
      expect(await store.getTranscript(task.id)).toEqual({ ...transcript, duration: 12.25 });
      // No worker can take it.
      expect(await store.claim('w1', LEASE)).toBeNull();
      expect(await store.countByStatus()).toMatchObject({ queued: 0, processing: 0, succeeded: 1 });
    });

    it('appends created then done, as a task that ran ends', async () => {
      const { store, clock } = ctx;
      const task = await store.addFinished(newTask(), transcript);
      const events = await store.readEvents(0, 100, { taskId: task.id });
      expect(events.map((e) => [e.type, e.userId, e.createdAt])).toEqual([
        ['created', 'alice', clock.t],
        ['done', 'alice', clock.t],
      ]);
      expect(events[1]?.data).toEqual({ status: 'succeeded', stage: 'done', doneSeconds: 60, durationSeconds: 60 });
      expect(must(events[0]).seq).toBeLessThan(must(events[1]).seq);
      expect(await store.latestEventSeq()).toBe(events[1]?.seq);
    });

    it('is listed, filtered and counted like a completed task', async () => {
      const { store, clock, enqueue } = ctx;
      const queued = await enqueue();
      const finished = await store.addFinished(newTask(), transcript);
      clock.advance(1);
      const page = await store.list(ALICE, { limit: 10, offset: 0 });
      expect(page.tasks.map((t) => t.id)).toEqual([finished.id, queued.id]);
      expect(page.counts).toMatchObject({ queued: 1, succeeded: 1 });
      const succeeded = await store.list(ADMIN, { status: 'succeeded', limit: 10, offset: 0 });
      expect(succeeded.tasks.map((t) => t.id)).toEqual([finished.id]);
      expect(succeeded.total).toBe(1);
      expect((await store.list(BOB, { limit: 10, offset: 0 })).total).toBe(0);
    });

    it('is removed with its transcript, and cannot be cancelled or retried', async () => {
      const { store } = ctx;
      const task = await store.addFinished(newTask(), transcript);
      expect(await store.cancel(task.id, ALICE)).toMatchObject({ status: 'succeeded' });
      await expect(store.retry(task.id, ALICE)).rejects.toBeInstanceOf(ConflictError);
      expect(await store.remove(task.id, BOB)).toBeNull();
      expect(await store.remove(task.id, ALICE)).toMatchObject({ id: task.id, status: 'succeeded' });
      expect(await store.get(task.id, ADMIN)).toBeNull();
      expect(await store.getTranscript(task.id)).toBeNull();
      const types = (await store.readEvents(0, 100, { taskId: task.id })).map((e) => e.type);
      expect(types).toEqual(['created', 'done', 'deleted']);
    });

    it('rejects a duplicate id with ConflictError and leaves nothing behind', async () => {
      const { store, enqueue } = ctx;
      const existing = await enqueue();
      const seq = await store.latestEventSeq();
      await expect(store.addFinished(newTask({ id: existing.id }), transcript)).rejects.toBeInstanceOf(ConflictError);
      expect(await store.get(existing.id, ALICE)).toMatchObject({ status: 'queued' });
      expect(await store.getTranscript(existing.id)).toBeNull();
      expect(await store.latestEventSeq()).toBe(seq);
    });
  });
}
