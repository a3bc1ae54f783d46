import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from './context.js';
import { ADMIN, ALICE, checkpoint, DELAYS, LEASE, plan, transcript } from './fixtures.js';

/** Leases: only the holder may act; release gives the task back; expired leases are reclaimed. */
export function leasesConformance(ctx: ConformanceContext): void {
  describe('lease holder only', () => {
    it('heartbeat extends the lease for the holder only', async () => {
      const { store, clock, enqueue, claimed } = ctx;
      const task = await enqueue();
      await claimed('w1');
      clock.advance(10_000);
      expect(await store.heartbeat(task.id, 'w2', LEASE)).toBe(false);
      expect(await store.heartbeat(task.id, 'w1', LEASE)).toBe(true);
      expect((await store.get(task.id, ADMIN))?.leaseExpiresAt).toBe(clock.t + LEASE);
      expect(await store.heartbeat('missing', 'w1', LEASE)).toBe(false);
    });

    it('a second worker cannot report progress, plan, checkpoint, complete, fail or release', async () => {
      const { store, enqueue, claimed } = ctx;
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
      const { store, enqueue } = ctx;
      const task = await enqueue();
      expect(await store.heartbeat(task.id, 'w1', LEASE)).toBe(false);
      expect(await store.reportProgress(task.id, 'w1', { stage: 'decoding', doneSeconds: 0 })).toBe(false);
      expect(await store.complete(task.id, 'w1', transcript)).toBe(false);
      expect(await store.fail(task.id, 'w1', { code: 'x', message: 'x', retryable: true })).toBeNull();
    });
  });

  describe('release', () => {
    it('puts the task back without counting the attempt and keeps checkpoints', async () => {
      const { store, enqueue, claimed } = ctx;
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
      const { store, clock, enqueue, claimed } = ctx;
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
      const { store, clock, enqueue, claimed } = ctx;
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
}
