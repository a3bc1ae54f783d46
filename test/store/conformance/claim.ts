import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TaskStore } from '../../../src/store/task.store.js';
import type { ConformanceContext } from './context.js';
import { ADMIN, DELAYS, LEASE, newTask } from './fixtures.js';

/** Claiming: priority and age order, runAt, exactly one claimer per task. */
export function claimConformance(ctx: ConformanceContext): void {
  describe('claim', () => {
    it('returns null when nothing is runnable', async () => {
      const { store } = ctx;
      expect(await store.claim('w1', LEASE)).toBeNull();
    });

    it('takes the highest priority, then the oldest, and grants a lease', async () => {
      const { store, clock, enqueue, claimed } = ctx;
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
      const { store, claimed } = ctx;
      const ids = ['c', 'a', 'b'].map((s) => `${s}-${randomUUID()}`);
      for (const id of ids) await store.enqueue(newTask({ id }), Number.POSITIVE_INFINITY);
      const got = [(await claimed()).id, (await claimed()).id, (await claimed()).id];
      expect(got).toEqual([...ids].sort());
    });

    it('skips tasks whose runAt is in the future', async () => {
      const { store, clock, enqueue, claimed } = ctx;
      const first = await enqueue();
      await claimed();
      await store.fail(first.id, 'w1', { code: 'engine_failed', message: 'boom', retryable: true });
      const second = await enqueue();
      expect((await claimed('w2')).id).toBe(second.id);
      expect(await store.claim('w3', LEASE)).toBeNull();
      clock.advance(DELAYS[0] ?? 0);
      expect((await claimed('w3')).id).toBe(first.id);
    });

    // Truly concurrent on PostgreSQL (a pool of connections); on SQLite the driver is synchronous, so the
    // claims interleave one at a time: the cross-process race is in sqlite.store.test.ts.
    it('gives every task to exactly one of many interleaved claimers on two store instances', async () => {
      const { store, open, enqueue } = ctx;
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
}
