import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from './context.js';
import { BOB, checkpoint, must, transcript } from './fixtures.js';

/** The event log: cursor reads, filters and pruning. */
export function eventsConformance(ctx: ConformanceContext): void {
  describe('events', () => {
    it('reads in seq order after a cursor, with limit and task/user filters', async () => {
      const { store, enqueue, claimed } = ctx;
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
      expect((await store.readEvents(0, 100, { userId: 'bob' })).map((e) => e.type)).toEqual(['created', 'cancelled']);
      expect((await store.readEvents(0, 100, { taskId: a.id, userId: 'bob' })).length).toBe(0);
      expect((await store.readEvents(cursor, 100, { taskId: a.id })).map((e) => e.type)).toEqual(['segment', 'done']);
      expect(await store.readEvents(must(seqs.at(-1)), 100)).toEqual([]);
    });

    it('latestEventSeq is 0 for an empty log', async () => {
      const { store } = ctx;
      expect(await store.latestEventSeq()).toBe(0);
      expect(await store.readEvents(0, 10)).toEqual([]);
    });

    it('prunes events older than a time and beyond the newest N', async () => {
      const { store, clock, enqueue } = ctx;
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
}
