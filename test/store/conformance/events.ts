import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from './context.js';
import { BOB, checkpoint, LEASE, must, transcript } from './fixtures.js';

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

    it('a reader following the log with a cursor sees every event once, each task in order, while writers commit at once', async () => {
      const { enqueue, open } = ctx;
      // Several instances write at once (each its own connections, as separate workers are), while a
      // reader polls after its cursor as the event-log poller does. Nothing may be skipped: an event
      // that commits after the reader moved past a higher seq would be lost to it for good.
      const writers = Array.from({ length: 4 }, () => open());
      const reader = open();
      const tasks = await Promise.all(Array.from({ length: 12 }, () => enqueue()));
      let cursor = await reader.latestEventSeq();
      const seen: { taskId: string; type: string; seq: number }[] = [];
      let writing = true;
      const follow = (async () => {
        for (;;) {
          const done = !writing; // read once more after the writers finished
          const batch = await reader.readEvents(cursor, 7);
          for (const e of batch) seen.push({ taskId: e.taskId, type: e.type, seq: e.seq });
          if (batch.length > 0) cursor = must(batch.at(-1)).seq;
          else if (done) return;
        }
      })();
      await Promise.all(
        writers.map(async (w, i) => {
          for (let n = 0; n < 3; n++) {
            const task = must(await w.claim(`w${i}`, LEASE));
            for (let c = 0; c < 3; c++) expect(await w.checkpointChunk(task.id, `w${i}`, checkpoint(c, 1))).toBe(true);
            expect(await w.complete(task.id, `w${i}`, transcript)).toBe(true);
          }
        }),
      );
      writing = false;
      await follow;

      expect(seen.length).toBe(tasks.length * 5);
      expect(new Set(seen.map((e) => e.seq)).size).toBe(seen.length);
      for (const t of tasks) {
        expect(seen.filter((e) => e.taskId === t.id).map((e) => e.type)).toEqual([
          'progress',
          'segment',
          'segment',
          'segment',
          'done',
        ]);
      }
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
