import { describe, expect, it } from 'vitest';
import type { Transcript } from '../../../src/core/transcript.js';
import type { EditOp } from '../../../src/core/transcript-edit.js';
import type { TranscriptEditRequest } from '../../../src/core/transcript-revision.js';
import type { Scope, TaskStore } from '../../../src/store/task.store.js';
import type { ConformanceContext } from './context.js';
import { must, newTask } from './fixtures.js';

/** 40 segments of four timed words; every other one spoken by "anna", the rest by "ben". */
function transcriptOf(tag: string): Transcript {
  const segments = Array.from({ length: 40 }, (_, i) => {
    const words = ['tide', tag, `word${i}`, 'ends'];
    return {
      start: i * 2,
      end: i * 2 + 1.6,
      text: words.join(' '),
      words: words.map((word, k) => ({ word, start: i * 2 + k * 0.4, end: i * 2 + k * 0.4 + 0.3, confidence: 0.9 })),
      speaker: i % 2 === 0 ? 'anna' : 'ben',
    };
  });
  return { language: 'en', duration: 80, segments, text: segments.map((s) => s.text).join(' ') };
}

const edit = (userId: string, expected: number | null, ...operations: EditOp[]): TranscriptEditRequest => ({
  expected,
  userId,
  change: { kind: 'edit', operations },
});

/**
 * The store's cache of the newest parsed transcript (store/transcript-cache.ts) and PostgreSQL's
 * in-place write of changed segments: neither may ever be observable.
 */
export function revisionCacheConformance(ctx: ConformanceContext): void {
  const setup = async (store: TaskStore, tag = 'harbour', id?: string) => {
    const user = await store.createUser(
      `cache-${Math.random().toString(36).slice(2, 8)}`,
      'user',
      `h-${Math.random()}`,
    );
    const task = await store.addFinished(newTask({ userId: user.id, ...(id ? { id } : {}) }), transcriptOf(tag));
    const scope: Scope = { userId: user.id };
    return { user, task, scope };
  };

  describe('transcript edit cache', () => {
    it('an edit never starts from a cached transcript another store instance has since edited', async () => {
      const { store } = ctx;
      const other = ctx.open();
      const { user, task, scope } = await setup(store);
      const text = (s: TaskStore) => s.getTranscriptWithRevision(task.id).then((t) => must(t).transcript.segments);
      await store.editTranscript(task.id, scope, edit(user.id, 0, { op: 'replace_text', segment: 0, text: 'one' }));
      await store.editTranscript(task.id, scope, edit(user.id, 1, { op: 'replace_text', segment: 1, text: 'two' }));
      // The other node edits (same segment count, so it could be written in place there).
      const theirs = await other.editTranscript(
        task.id,
        scope,
        edit(user.id, 2, { op: 'replace_text', segment: 2, text: 'three' }),
      );
      expect(theirs).toMatchObject({ ok: true, revision: 3 });
      const ours = await store.editTranscript(
        task.id,
        scope,
        edit(user.id, 3, { op: 'replace_text', segment: 3, text: 'four' }),
      );
      expect(ours.ok && ours.transcript.segments.slice(0, 4).map((s) => s.text)).toEqual([
        'one',
        'two',
        'three',
        'four',
      ]);
      expect((await text(other)).slice(0, 4).map((s) => s.text)).toEqual(['one', 'two', 'three', 'four']);
      // And back: the other node's cache is stale now too.
      await other.editTranscript(
        task.id,
        scope,
        edit(user.id, null, { op: 'set_speaker', segments: [0], speaker: 'cleo' }),
      );
      expect((await text(store))[0]).toMatchObject({ text: 'one', speaker: 'cleo' });
      await store.editTranscript(task.id, scope, edit(user.id, 5, { op: 'replace_text', segment: 4, text: 'five' }));
      const newest = await text(other);
      expect(newest[0]).toMatchObject({ text: 'one', speaker: 'cleo' });
      expect(newest[4]?.text).toBe('five');
    });

    it('a task deleted and added again with the same id by another instance is never served from the cache', async () => {
      const { store } = ctx;
      const other = ctx.open();
      const { user, task, scope } = await setup(store, 'harbour');
      await store.editTranscript(task.id, scope, edit(user.id, 0, { op: 'replace_text', segment: 0, text: 'old' }));
      expect(await other.remove(task.id, scope)).not.toBeNull();
      await other.addFinished(newTask({ id: task.id, userId: user.id }), transcriptOf('lighthouse'));
      await other.editTranscript(task.id, scope, edit(user.id, 0, { op: 'replace_text', segment: 0, text: 'new' }));
      // Revision 1 on both instances, different content.
      const r = await store.editTranscript(
        task.id,
        scope,
        edit(user.id, 1, { op: 'replace_text', segment: 1, text: 'next' }),
      );
      expect(r.ok && r.transcript.segments.slice(0, 3).map((s) => s.text)).toEqual([
        'new',
        'next',
        'tide lighthouse word2 ends',
      ]);
    });

    it('edits written through the cache store the same JSON, search rows and word count as without it', async () => {
      const { store } = ctx;
      const cached = await setup(store, 'harbour');
      const plain = await setup(store, 'harbour');
      const steps: EditOp[][] = [
        [{ op: 'replace_text', segment: 0, text: 'the lighthouse opens' }],
        [{ op: 'replace_text', segment: 3, text: 'same four words here' }],
        [{ op: 'set_speaker', segments: [1, 2, 39], speaker: 'cleo' }],
        [{ op: 'set_speaker', segments: [5], speaker: null }],
        [
          { op: 'replace_text', segment: 7, text: 'a "quoted" ünïcode ✓ line' },
          { op: 'replace_text', segment: 8, text: 'x' },
        ],
        // Renames 19 segments (anna's), then every one of 40: more than a store may set one by one.
        [{ op: 'rename_speaker', from: 'anna', to: 'dora' }],
        [{ op: 'set_speaker', segments: Array.from({ length: 40 }, (_, i) => i), speaker: 'eli' }],
        [{ op: 'split', segment: 10, word: 2 }],
        [{ op: 'replace_text', segment: 11, text: 'after the split' }],
        [{ op: 'merge', segment: 0 }],
        [{ op: 'replace_text', segment: 0, text: 'merged and replaced' }],
      ];
      const raw = async (taskId: string) =>
        JSON.stringify(must(await store.getTranscriptWithRevision(taskId)).transcript);
      for (const [n, ops] of steps.entries()) {
        // `cached` always goes through the same instance (its cache hits); `plain` through a new one each time.
        const a = await store.editTranscript(cached.task.id, cached.scope, edit(cached.user.id, n, ...ops));
        const b = await ctx.open().editTranscript(plain.task.id, plain.scope, edit(plain.user.id, n, ...ops));
        expect(a.ok && b.ok).toBe(true);
        expect(a.ok && a.json()).toBe(b.ok && b.json());
        expect(await raw(cached.task.id)).toBe(await raw(plain.task.id));
        expect(must(await store.get(cached.task.id, cached.scope)).wordCount).toBe(
          must(await store.get(plain.task.id, plain.scope)).wordCount,
        );
      }
      for (const q of ['lighthouse', 'quoted', 'split', 'merged', 'harbour', 'tide']) {
        const hits = await store.searchTranscripts(cached.scope, q, { limit: 100, offset: 0 });
        const other = await store.searchTranscripts(plain.scope, q, { limit: 100, offset: 0 });
        const strip = (h: typeof hits) => h.map(({ taskId: _, ...rest }) => rest);
        expect(strip(hits)).toEqual(strip(other));
        if (q === 'lighthouse') expect(hits).toHaveLength(0); // merged away
      }
      expect(await store.searchTranscripts(cached.scope, 'replaced', { limit: 100, offset: 0 })).toHaveLength(1);
    });

    it('after each edit and revert the word count is what storing the same transcript afresh counts', async () => {
      const { store } = ctx;
      const { user, task, scope } = await setup(store, 'count');
      // Text-only segments (no word timings) with the blanks a rule could get wrong.
      const base = must(await store.getTranscriptWithRevision(task.id)).transcript;
      const odd = ['  two\twords ', 'line\nbreak\r\nand  double   spaces', '\t', 'one', 'a     b         c'];
      const segments = base.segments.map((s, i) => (i < odd.length ? { ...s, text: odd[i] as string, words: [] } : s));
      const mixed = await store.addFinished(newTask({ userId: user.id }), { ...base, segments });
      const steps: EditOp[][] = [
        [{ op: 'replace_text', segment: 6, text: 'three new words' }],
        [{ op: 'merge', segment: 4 }],
        [{ op: 'split', segment: 7, word: 2 }],
        [{ op: 'merge', segment: 0 }],
        [{ op: 'set_speaker', segments: [1], speaker: 'ada' }],
      ];
      let fresh = 0;
      const expectSameCount = async (id: string) => {
        const now = must(await store.getTranscriptWithRevision(id)).transcript;
        const again = await store.addFinished(newTask({ userId: user.id, sourceName: `fresh-${fresh++}` }), now);
        expect(must(await store.get(id, scope)).wordCount).toBe(again.wordCount);
      };
      for (const [n, ops] of steps.entries()) {
        expect((await store.editTranscript(mixed.id, scope, edit(user.id, n, ...ops))).ok).toBe(true);
        await expectSameCount(mixed.id);
      }
      const back = await store.editTranscript(mixed.id, scope, {
        expected: steps.length,
        userId: user.id,
        change: { kind: 'revert', revertTo: 0 },
      });
      expect(back.ok).toBe(true);
      await expectSameCount(mixed.id);
      // Back at revision 0's text, back at the count it had when it was stored.
      expect(must(await store.get(mixed.id, scope)).wordCount).toBe(mixed.wordCount);
    });

    it('search finds every segment at its index and times after 40 splits in one place, merges and edits at both ends', async () => {
      const { store } = ctx;
      const { user, task, scope } = await setup(store, 'estuary');
      const rounds: EditOp[][] = [];
      // Each round puts a new segment between 5 and the one after it: the room between their
      // neighbours shrinks every time, until a store that keys rows by position must renumber.
      for (let n = 0; n < 40; n++) {
        rounds.push([
          { op: 'replace_text', segment: 5, text: `fresh${n} split${n}` },
          { op: 'split', segment: 5, word: 1 },
        ]);
      }
      rounds.push(
        [{ op: 'merge', segment: 0 }],
        [{ op: 'split', segment: 0, word: 2 }],
        // A split and a merge far apart in one edit: the count is unchanged, the rows between move.
        [
          { op: 'split', segment: 2, word: 1 },
          { op: 'merge', segment: 60 },
        ],
      );
      /** Every marked token of the newest revision is found once, at its segment's index and times. */
      const expectIndexed = async (): Promise<number> => {
        const now = must(await store.getTranscriptWithRevision(task.id)).transcript;
        let checked = 0;
        for (const [i, s] of now.segments.entries()) {
          for (const token of s.text.split(' ').filter((w) => /^(word|fresh|split)\d+$/.test(w))) {
            const hits = await store.searchTranscripts(scope, token, { limit: 10, offset: 0 });
            expect(
              hits.map((h) => [h.segmentIndex, h.start, h.end]),
              token,
            ).toEqual([[i, s.start, s.end]]);
            checked++;
          }
        }
        return checked;
      };
      for (const [n, ops] of rounds.entries()) {
        const r = await store.editTranscript(task.id, scope, edit(user.id, n, ...ops));
        expect(r.ok).toBe(true);
        // Checked as the room runs out, and after (a later edit must not be what puts the rows right).
        if (n === 30 || n === 39) await expectIndexed();
      }
      const last = must(await store.getTranscriptWithRevision(task.id)).transcript;
      const lastIndex = last.segments.length - 1;
      const tail = must(last.segments[lastIndex]);
      // A change at the very end, where a position has no right-hand neighbour.
      const r = await store.editTranscript(
        task.id,
        scope,
        edit(user.id, rounds.length, { op: 'replace_text', segment: lastIndex, text: `${tail.text} closing` }),
      );
      expect(r.ok).toBe(true);
      expect(await expectIndexed()).toBe(80); // word0…word39 but word5 (replaced), split0…split39, fresh39
      expect(await store.searchTranscripts(scope, 'closing', { limit: 10, offset: 0 })).toMatchObject([
        { segmentIndex: lastIndex },
      ]);
    });
  });
}
