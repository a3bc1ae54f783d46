import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from './context.js';
import { checkpoint, DELAYS, plan } from './fixtures.js';

/** Chunk plans and checkpoints, kept across reopened stores and retries. */
export function planCheckpointsConformance(ctx: ConformanceContext): void {
  describe('plan and checkpoints', () => {
    it('saves a plan (keeping existing rows), trims it when complete and stores checkpoints', async () => {
      const { store, enqueue, claimed } = ctx;
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
      const { store, enqueue, claimed } = ctx;
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
      const { clock, open, enqueue, claimed } = ctx;
      let { store } = ctx;
      const task = await enqueue();
      await claimed('w1');
      await store.savePlan(task.id, 'w1', plan(3), true);
      await store.checkpointChunk(task.id, 'w1', checkpoint(0, 1));
      await store.fail(task.id, 'w1', { code: 'engine_failed', message: 'crash', retryable: true });
      await store.close();

      store = open();
      ctx.store = store; // enqueue() and claimed() now use the reopened store
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
}
