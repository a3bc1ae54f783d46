import { describe, expect, it } from 'vitest';
import { MAX_RANKED_MATCHES } from '../../../src/core/search.js';
import type { Transcript } from '../../../src/core/transcript.js';
import type { Scope } from '../../../src/store/task.store.js';
import type { ConformanceContext } from './context.js';
import { ADMIN, ALICE, BOB, checkpoint, newTask, plan } from './fixtures.js';

/** A transcript whose segments are `texts`, 5 s each. */
function transcriptOf(...texts: string[]): Transcript {
  return {
    language: 'en',
    duration: texts.length * 5,
    segments: texts.map((text, i) => ({ start: i * 5, end: i * 5 + 4.5, text, words: [] })),
    text: texts.join(' '),
  };
}

const PAGE = { limit: 50, offset: 0 };

/** searchTranscripts: segment hits over the caller's stored transcripts, the same on every store. */
export function searchConformance(ctx: ConformanceContext): void {
  const find = (q: string, scope: Scope = ALICE, page = PAGE) => ctx.store.searchTranscripts(scope, q, page);
  const keys = async (q: string, scope: Scope = ALICE) =>
    (await find(q, scope)).map((h) => `${h.sourceName}#${h.segmentIndex}`);

  describe('searchTranscripts', () => {
    it('finds a word in a completed task, with its task, source, segment times and a marked snippet', async () => {
      const { store } = ctx;
      await ctx.enqueue({ sourceName: 'meeting.wav' });
      const task = await ctx.claimed();
      await store.complete(task.id, 'w1', transcriptOf('opening remarks', 'the quarterly budget was approved'));
      expect(await find('budget')).toEqual([
        {
          taskId: task.id,
          sourceName: 'meeting.wav',
          segmentIndex: 1,
          start: 5,
          end: 9.5,
          snippet: expect.any(String),
        },
      ]);
      const [hit] = await find('BUDGET');
      expect(hit?.snippet).toContain('«budget»');
      expect(hit?.snippet).toContain('quarterly');
    });

    it('finds transcripts stored by addFinished, with every word required', async () => {
      const { store } = ctx;
      await store.addFinished(newTask({ sourceName: 'a' }), transcriptOf('red apples', 'green apples', 'red pears'));
      expect(await keys('apples red')).toEqual(['a#0']);
      expect(await keys('apples')).toHaveLength(2);
      expect(await keys('bananas')).toEqual([]);
    });

    it('matches a quoted phrase only where its words are adjacent and in order', async () => {
      const { store } = ctx;
      await store.addFinished(
        newTask({ sourceName: 'p' }),
        transcriptOf('machine learning model', 'learning about a machine', 'model machine learning'),
      );
      expect(await keys('"machine learning"')).toEqual(expect.arrayContaining(['p#0', 'p#2']));
      expect(await keys('"machine learning"')).toHaveLength(2);
      expect((await keys('machine learning')).sort()).toEqual(['p#0', 'p#1', 'p#2']);
      expect(await keys('"learning machine"')).toEqual([]);
    });

    it('ranks a segment with more matches first', async () => {
      const { store } = ctx;
      await store.addFinished(newTask({ sourceName: 'one' }), transcriptOf('piano lesson today with friends'));
      await store.addFinished(newTask({ sourceName: 'three' }), transcriptOf('piano piano piano lesson today'));
      expect(await keys('piano')).toEqual(['three#0', 'one#0']);
    });

    it('pages in a stable order without overlap', async () => {
      const { store } = ctx;
      for (let t = 0; t < 3; t++) {
        const texts = Array.from(
          { length: 7 },
          (_, i) => `segment ${i} mentions the harbour ${'boat '.repeat(1 + (i % 3))}`,
        );
        await store.addFinished(newTask({ sourceName: `t${t}` }), transcriptOf(...texts));
      }
      const all = (await find('harbour', ALICE, { limit: 100, offset: 0 })).map((h) => `${h.taskId}#${h.segmentIndex}`);
      expect(all).toHaveLength(21);
      const paged: string[] = [];
      for (let offset = 0; offset < 25; offset += 4) {
        paged.push(...(await find('harbour', ALICE, { limit: 4, offset })).map((h) => `${h.taskId}#${h.segmentIndex}`));
      }
      expect(paged).toEqual(all);
      expect(new Set(paged).size).toBe(21);
      expect(await find('harbour', ALICE, { limit: 4, offset: 21 })).toEqual([]);
    });

    it("never finds another user's transcripts; an admin scope finds everybody's", async () => {
      const { store } = ctx;
      await store.addFinished(newTask({ userId: 'bob', sourceName: 'bob.wav' }), transcriptOf('secret password'));
      await store.addFinished(newTask({ sourceName: 'alice.wav' }), transcriptOf('no secrets here'));
      expect(await keys('password')).toEqual([]);
      expect(await keys('password', BOB)).toEqual(['bob.wav#0']);
      expect(await keys('password', ADMIN)).toEqual(['bob.wav#0']);
      // User ids that share a prefix or a word are still different users.
      await store.addFinished(newTask({ userId: 'bob-2', sourceName: 'bob2.wav' }), transcriptOf('password two'));
      expect(await keys('password', BOB)).toEqual(['bob.wav#0']);
      expect(await keys('password', { userId: 'bob-2' })).toEqual(['bob2.wav#0']);
      expect(await keys('password', { userId: 'bo' })).toEqual([]);
    });

    it('stops finding a deleted task, and does not find a task without a transcript yet', async () => {
      const { store } = ctx;
      const done = await store.addFinished(newTask(), transcriptOf('elephant parade'));
      await ctx.enqueue();
      const running = await ctx.claimed();
      // Its recognised chunks ("chunk 0") are not a transcript yet.
      expect(await store.savePlan(running.id, 'w1', plan(2), true)).toBe(true);
      expect(await store.checkpointChunk(running.id, 'w1', checkpoint(0, 1))).toBe(true);
      expect(await find('chunk')).toEqual([]);
      expect((await find('elephant')).map((h) => h.taskId)).toEqual([done.id]);
      expect(await store.remove(done.id, ALICE)).not.toBeNull();
      expect(await find('elephant')).toEqual([]);
      expect(await store.complete(running.id, 'w1', transcriptOf('elephant finished'))).toBe(true);
      expect((await find('elephant')).map((h) => h.taskId)).toEqual([running.id]);
    });

    it('follows an edit of the transcript JSON: a changed segment, then a longer and a shorter transcript', async () => {
      const { store } = ctx;
      const texts = ['intro about tides', 'the ferry leaves at noon', 'closing words on tides'];
      const task = await store.addFinished(newTask({ sourceName: 'e' }), transcriptOf(...texts));
      const other = await store.addFinished(newTask({ sourceName: 'o' }), transcriptOf('the ferry is late'));
      const edited = transcriptOf(texts[0] ?? '', 'the boat leaves at noon', texts[2] ?? '');
      await ctx.updateTranscriptJson(task.id, edited);
      expect(await keys('boat')).toEqual(['e#1']);
      expect(await keys('ferry')).toEqual(['o#0']);
      expect(await keys('"leaves at noon"')).toEqual(['e#1']);
      expect((await keys('tides')).sort()).toEqual(['e#0', 'e#2']);
      const [moved] = await find('boat');
      expect([moved?.start, moved?.end]).toEqual([5, 9.5]);
      const retimed = edited.segments.map((seg, i) => (i === 1 ? { ...seg, start: 6, end: 8 } : seg));
      await ctx.updateTranscriptJson(task.id, { ...edited, segments: retimed });
      const [again] = await find('boat');
      expect([again?.start, again?.end]).toEqual([6, 8]);

      const longer = [...texts, 'tides again', 'more tides', 'last tides'];
      await ctx.updateTranscriptJson(task.id, transcriptOf(...longer));
      expect(await keys('boat')).toEqual([]);
      expect(await keys('ferry')).toEqual(expect.arrayContaining(['e#1', 'o#0']));
      expect((await keys('tides')).sort()).toEqual(['e#0', 'e#2', 'e#3', 'e#4', 'e#5']);

      await ctx.updateTranscriptJson(task.id, transcriptOf('tides only'));
      expect(await keys('tides')).toEqual(['e#0']);
      expect(await keys('ferry')).toEqual(['o#0']);
      expect(await keys('intro')).toEqual([]);

      // Written again whole (complete, addFinished): the same rows, nothing left over.
      await ctx.updateTranscriptJson(task.id, transcriptOf());
      expect(await keys('tides')).toEqual([]);
      expect((await find('ferry')).map((h) => h.taskId)).toEqual([other.id]);
    });

    it(`ranks the first ${MAX_RANKED_MATCHES} matches in storage order and pages through exactly them`, async () => {
      const n = MAX_RANKED_MATCHES + 100;
      const texts = Array.from({ length: n }, (_, i) =>
        i === 3 ? 'harbour harbour' : i === n - 10 ? 'harbour harbour harbour' : `harbour ${i}`,
      );
      await ctx.store.addFinished(newTask({ sourceName: 'big' }), transcriptOf(...texts));
      const indexes = async (offset: number, limit: number) =>
        (await find('harbour', ALICE, { limit, offset })).map((h) => h.segmentIndex);
      // The best segment lies past the candidates; the best among them comes first.
      expect((await indexes(0, 2))[0]).toBe(3);
      expect(await indexes(MAX_RANKED_MATCHES - 1, 100)).toHaveLength(1);
      expect(await indexes(MAX_RANKED_MATCHES, 100)).toEqual([]);
      const seen = new Set<number>();
      for (let offset = 0; offset < MAX_RANKED_MATCHES; offset += 100) {
        for (const i of await indexes(offset, 100)) seen.add(i);
      }
      expect(seen.size).toBe(MAX_RANKED_MATCHES);
      expect(Math.max(...seen)).toBe(MAX_RANKED_MATCHES - 1);
    });

    it('treats hostile input as plain words and never fails', async () => {
      const { store } = ctx;
      await store.addFinished(newTask({ sourceName: 'h' }), transcriptOf('near river bank tonight', 'or else we go'));
      const hostile = [
        '',
        '   ',
        '"',
        '""',
        '"river',
        'river"',
        '*',
        'riv*',
        '-river',
        'river -bank',
        'text:river',
        'NEAR(river bank)',
        'river NEAR bank',
        '(river',
        'river)',
        'river AND bank',
        'river OR',
        'NOT river',
        '^river',
        'river + bank',
        "river's",
        '\\',
        "'; DROP TABLE tasks; --",
        '!!!',
        '<script>',
        'r\u0000iver',
        'a & b | c',
        '& | ! <->',
      ];
      for (const q of hostile) await expect(find(q), q).resolves.toBeInstanceOf(Array);
      expect(await keys('NEAR(river bank)')).toEqual(['h#0']);
      expect(await keys('-river')).toEqual(['h#0']);
      expect(await keys('"river')).toEqual(['h#0']);
      expect(await keys('*')).toEqual([]);
      expect(await keys('')).toEqual([]);
    });
  });
}
