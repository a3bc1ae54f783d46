import { describe, expect, it } from 'vitest';
import type { SortOrder, Task, TaskSort } from '../../../src/core/task.js';
import type { Segment, Transcript } from '../../../src/core/transcript.js';
import type { ListFilter, NewTask, Scope } from '../../../src/store/task.store.js';
import type { ConformanceContext } from './context.js';
import { ADMIN, ALICE, BOB, must, newTask } from './fixtures.js';

/** A segment with `n` timed words. */
function timedSegment(start: number, n: number): Segment {
  const words = Array.from({ length: n }, (_, i) => ({
    word: `w${i}`,
    start: start + i,
    end: start + i + 0.5,
    confidence: 1,
  }));
  return { start, end: start + n, text: words.map((w) => w.word).join(' '), words };
}

function transcriptOf(segments: Segment[]): Transcript {
  return { language: 'en', duration: 30, segments, text: segments.map((s) => s.text).join(' ') };
}

/** Titles, the list's filters and orders, and the stored word count: the same on every store. */
export function libraryConformance(ctx: ConformanceContext): void {
  const list = (filter: Partial<ListFilter> = {}, scope: Scope = ALICE) =>
    ctx.store.list(scope, { limit: 100, offset: 0, ...filter });
  const names = async (filter: Partial<ListFilter> = {}, scope: Scope = ALICE) =>
    (await list(filter, scope)).tasks.map((t) => t.title ?? t.sourceName);

  /** A finished task (addFinished) whose transcript has `words` timed words, created one ms after the last. */
  const finished = async (overrides: Partial<NewTask>, words: number, duration = 30): Promise<Task> => {
    const task = await ctx.store.addFinished(newTask(overrides), {
      ...transcriptOf([timedSegment(0, words)]),
      duration,
    });
    ctx.clock.advance(1);
    return task;
  };

  describe('library: titles', () => {
    it('sets and clears a title in scope; the row moves on and a renamed event is logged, nothing else changes', async () => {
      const { store, clock } = ctx;
      const task = await ctx.enqueue({ sourceName: 'rec.wav' });
      clock.advance(500);
      const titled = must(await store.setTitle(task.id, ALICE, 'Board meeting'));
      expect(titled).toEqual({ ...task, title: 'Board meeting', updatedAt: clock.t });
      expect(await store.get(task.id, ALICE)).toEqual(titled);
      expect(await store.setTitle(task.id, BOB, 'stolen')).toBeNull();
      expect((await store.get(task.id, ALICE))?.title).toBe('Board meeting');
      expect((await store.setTitle(task.id, ADMIN, 'By admin'))?.title).toBe('By admin');
      expect((await store.setTitle(task.id, ALICE, null))?.title).toBeNull();
      expect(await store.setTitle('missing', ALICE, 'x')).toBeNull();
      // Each rename that took logs one 'renamed' event (so streams can follow); a refused one none.
      const log = await store.readEvents(0, 10, { taskId: task.id });
      expect(log.map((e) => [e.type, e.data])).toEqual([
        ['created', expect.anything()],
        ['renamed', { title: 'Board meeting' }],
        ['renamed', { title: 'By admin' }],
        ['renamed', { title: null }],
      ]);
      expect(log.filter((e) => e.type === 'renamed').every((e) => e.userId === task.userId)).toBe(true);
    });

    it('keeps the transcript and word count when the title changes', async () => {
      const { store } = ctx;
      const task = await finished({ sourceName: 'talk.wav' }, 4);
      await store.setTitle(task.id, ALICE, 'A talk');
      expect(await store.getTranscript(task.id)).toEqual(transcriptOf([timedSegment(0, 4)]));
      expect((await store.get(task.id, ALICE))?.wordCount).toBe(4);
    });
  });

  describe('library: list filters', () => {
    it('q matches the title or the source name, case-insensitively, with LIKE characters taken literally', async () => {
      const { store } = ctx;
      const standup = await ctx.enqueue({ sourceName: 'a.wav' });
      await store.setTitle(standup.id, ALICE, 'Weekly Standup');
      await ctx.enqueue({ sourceName: 'STANDUP-notes.mp3' });
      await ctx.enqueue({ sourceName: '100%_done.wav' });
      await ctx.enqueue({ sourceName: '1000 xdone.wav' });
      await ctx.enqueue({ sourceName: 'back\\slash.wav' });
      await ctx.enqueue({ sourceName: 'other.wav' });
      expect(await names({ q: 'standup' })).toEqual(['STANDUP-notes.mp3', 'Weekly Standup']);
      expect(await names({ q: 'WEEKLY' })).toEqual(['Weekly Standup']);
      // The title hides the source name in the list but a search still finds it.
      expect(await names({ q: 'a.wav' })).toEqual(['Weekly Standup']);
      expect(await names({ q: '100%' })).toEqual(['100%_done.wav']);
      expect(await names({ q: '%' })).toEqual(['100%_done.wav']);
      expect(await names({ q: '_' })).toEqual(['100%_done.wav']);
      expect(await names({ q: '\\' })).toEqual(['back\\slash.wav']);
      expect(await names({ q: 'nothing like it' })).toEqual([]);
      expect(await names({ q: '' })).toHaveLength(6);
    });

    it('from/to bound created_at (from inclusive, to exclusive); total and counts follow q and dates, not status', async () => {
      const { store, clock } = ctx;
      const t0 = clock.t;
      const first = await ctx.enqueue({ sourceName: 'one.wav' });
      clock.t = t0 + 1000;
      await ctx.enqueue({ sourceName: 'two.wav' });
      clock.t = t0 + 2000;
      const third = await ctx.enqueue({ sourceName: 'three.wav' });
      await store.cancel(third.id, ALICE);
      expect(await names({ createdFrom: t0 + 1000 })).toEqual(['three.wav', 'two.wav']);
      expect(await names({ createdBefore: t0 + 1000 })).toEqual(['one.wav']);
      expect(await names({ createdFrom: t0 + 1, createdBefore: t0 + 2000 })).toEqual(['two.wav']);
      expect(first.createdAt).toBe(t0);

      const page = await list({ createdFrom: t0 + 1000, status: 'queued' });
      expect(page.tasks.map((t) => t.sourceName)).toEqual(['two.wav']);
      expect(page.total).toBe(1);
      expect(page.counts).toEqual({ queued: 1, processing: 0, succeeded: 0, failed: 0, cancelled: 1 });
      const searched = await list({ q: 'o', status: 'cancelled' });
      expect(searched.total).toBe(0);
      expect(searched.counts).toMatchObject({ queued: 2, cancelled: 0 });
    });

    it("never lists another user's tasks; admins see everybody's", async () => {
      await ctx.enqueue({ sourceName: 'mine.wav' });
      await ctx.enqueue({ sourceName: 'bobs.wav', userId: 'bob' });
      expect(await names({ q: '.wav' })).toEqual(['mine.wav']);
      expect(await names({ q: 'bobs' })).toEqual([]);
      expect((await list({ q: 'bobs' })).counts.queued).toBe(0);
      expect(await names({ q: '.wav' }, BOB)).toEqual(['bobs.wav']);
      expect(await names({ q: '.wav' }, ADMIN)).toEqual(['bobs.wav', 'mine.wav']);
    });
  });

  describe('library: list orders', () => {
    it('sorts by every key in both directions, missing durations and word counts last', async () => {
      const { store } = ctx;
      // created order: c, a, d, b. Titles fall back to the source name and ignore case.
      const c = await finished({ sourceName: 'charlie.wav', durationSeconds: null }, 7, 20);
      const a = await finished({ sourceName: 'x.wav' }, 2, 40);
      await store.setTitle(a.id, ALICE, 'Alpha');
      const d = await ctx.enqueue({ sourceName: 'delta.wav', durationSeconds: null });
      const b = await ctx.enqueue({ sourceName: 'Bravo.wav', durationSeconds: 10 });
      await store.cancel(b.id, ALICE);
      const ids = async (sort: TaskSort, order: SortOrder) => (await list({ sort, order })).tasks.map((t) => t.id);

      expect(await ids('created', 'desc')).toEqual([b.id, d.id, a.id, c.id]);
      expect(await ids('created', 'asc')).toEqual([c.id, a.id, d.id, b.id]);
      expect(await ids('title', 'asc')).toEqual([a.id, b.id, c.id, d.id]);
      expect(await ids('title', 'desc')).toEqual([d.id, c.id, b.id, a.id]);
      // d has no duration (not probed); c and a take theirs from their transcripts.
      expect(await ids('duration', 'asc')).toEqual([b.id, c.id, a.id, d.id]);
      expect(await ids('duration', 'desc')).toEqual([a.id, c.id, b.id, d.id]);
      // Only finished tasks have a word count; b and d (none) follow in the tie-break's id order.
      const [lo, hi] = [b.id, d.id].sort();
      expect(await ids('words', 'asc')).toEqual([a.id, c.id, lo, hi]);
      expect(await ids('words', 'desc')).toEqual([c.id, a.id, hi, lo]);
      // TASK_STATUSES order: queued, processing, succeeded, failed, cancelled; then newest first (desc).
      expect(await ids('status', 'asc')).toEqual([d.id, c.id, a.id, b.id]);
      expect(await ids('status', 'desc')).toEqual([b.id, a.id, c.id, d.id]);
      expect(await ids('created', 'desc')).toEqual((await list()).tasks.map((t) => t.id));
    });

    it('pages never overlap or skip, even when every sort key is equal', async () => {
      const { store } = ctx;
      const all: string[] = [];
      for (let i = 0; i < 7; i++) {
        const task = await ctx.enqueue({ sourceName: 'same.wav', durationSeconds: 5 });
        await store.setTitle(task.id, ALICE, 'Same');
        all.push(task.id);
      }
      for (const sort of ['title', 'duration', 'words', 'status', 'created'] as const) {
        for (const order of ['asc', 'desc'] as const) {
          const seen: string[] = [];
          for (let offset = 0; offset < 9; offset += 3) {
            const page = await list({ sort, order, limit: 3, offset });
            expect(page.total).toBe(7);
            seen.push(...page.tasks.map((t) => t.id));
          }
          expect(seen).toHaveLength(7);
          expect(new Set(seen)).toEqual(new Set(all));
        }
      }
    });
  });

  describe('library: word count', () => {
    it('is null until a transcript is stored, then the number of words across segments', async () => {
      const { store } = ctx;
      await ctx.enqueue();
      const task = await ctx.claimed();
      expect(task.wordCount).toBeNull();
      const segments = [
        timedSegment(0, 3),
        timedSegment(5, 4),
        // No word timings: the words of its text count (blanks of any kind separate them).
        { start: 10, end: 12, text: '  five  words\there\nand  there ', words: [] },
        { start: 12, end: 13, text: '   ', words: [] },
      ];
      expect(await store.complete(task.id, 'w1', transcriptOf(segments))).toBe(true);
      expect((await store.get(task.id, ALICE))?.wordCount).toBe(3 + 4 + 5);
      expect((await list()).tasks[0]?.wordCount).toBe(12);
    });

    it('goes with the transcript: a deleted task takes it along, others keep theirs', async () => {
      const { store } = ctx;
      const kept = await finished({}, 3);
      const gone = await finished({}, 5);
      expect(gone.wordCount).toBe(5);
      await store.remove(gone.id, ALICE);
      expect((await store.get(kept.id, ALICE))?.wordCount).toBe(3);
    });
  });
}
