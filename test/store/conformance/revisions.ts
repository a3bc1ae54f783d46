import { describe, expect, it } from 'vitest';
import { InvalidEditError } from '../../../src/core/errors/index.js';
import type { Transcript } from '../../../src/core/transcript.js';
import type { EditOp } from '../../../src/core/transcript-edit.js';
import type { TranscriptEditRequest } from '../../../src/core/transcript-revision.js';
import { SNAPSHOT_EVERY } from '../../../src/store/revision.rows.js';
import type { Scope, TaskStore } from '../../../src/store/task.store.js';
import type { ConformanceContext } from './context.js';
import { ADMIN, must, newTask } from './fixtures.js';

/** Three segments with word timings, 5 s apart. */
const MACHINE: Transcript = {
  language: 'en',
  duration: 15,
  segments: ['the harbour opens at dawn', 'boats leave before noon', 'nets come back full'].map((text, i) => ({
    start: i * 5,
    end: i * 5 + 4,
    text,
    words: text
      .split(' ')
      .map((word, k) => ({ word, start: i * 5 + k * 0.5, end: i * 5 + k * 0.5 + 0.4, confidence: 0.8 })),
  })),
  text: 'the harbour opens at dawn boats leave before noon nets come back full',
};

const replace = (segment: number, text: string): EditOp => ({ op: 'replace_text', segment, text });
const edit = (userId: string, expected: number | null, ...operations: EditOp[]): TranscriptEditRequest => ({
  expected,
  userId,
  change: { kind: 'edit', operations },
});

/** editTranscript and the revision history, the same on every store. */
export function revisionsConformance(ctx: ConformanceContext): void {
  /** A succeeded task of a real user (so the history can name them). */
  const setup = async (store: TaskStore = ctx.store) => {
    const user = await store.createUser(
      `editor-${Math.random().toString(36).slice(2, 8)}`,
      'user',
      `h-${Math.random()}`,
    );
    const task = await store.addFinished(newTask({ userId: user.id }), MACHINE);
    const scope: Scope = { userId: user.id };
    return { user, task, scope };
  };

  describe('transcript revisions', () => {
    it('an edit becomes the newest revision; revision 0 stays the machine transcript', async () => {
      const { store, clock } = ctx;
      const { user, task, scope } = await setup();
      expect(await store.getTranscriptWithRevision(task.id)).toEqual({ revision: 0, transcript: MACHINE });
      clock.advance(1000);
      const result = await store.editTranscript(
        task.id,
        scope,
        edit(user.id, 0, replace(0, 'the harbor opens at dawn')),
      );
      expect(result).toMatchObject({ ok: true, revision: 1 });
      const newest = must(await store.getTranscriptWithRevision(task.id));
      expect(newest.revision).toBe(1);
      expect(newest.transcript.segments[0]?.text).toBe('the harbor opens at dawn');
      expect(newest.transcript.text).toBe('the harbor opens at dawn boats leave before noon nets come back full');
      // getTranscript (what exports read) follows the edit.
      expect(await store.getTranscript(task.id)).toEqual(newest.transcript);
      expect(await store.getTranscriptRevision(task.id, 0)).toEqual(MACHINE);
      expect(await store.getTranscriptRevision(task.id, 1)).toEqual(newest.transcript);
      expect(await store.getTranscriptRevision(task.id, 2)).toBeNull();

      const history = must(await store.listTranscriptRevisions(task.id, 1000));
      expect(history.current).toBe(1);
      expect(history.revisions).toEqual([
        {
          revision: 0,
          kind: 'machine',
          createdAt: task.finishedAt,
          userId: null,
          userName: null,
          operations: [],
          revertedTo: null,
        },
        {
          revision: 1,
          kind: 'edit',
          createdAt: clock.t,
          userId: user.id,
          userName: user.name,
          operations: [replace(0, 'the harbor opens at dawn')],
          revertedTo: null,
        },
      ]);
    });

    it('lists just revision 0 before any edit, and nothing for a task without a transcript', async () => {
      const { store } = ctx;
      const { task } = await setup();
      expect(await store.listTranscriptRevisions(task.id, 10)).toEqual({
        current: 0,
        revisions: [expect.objectContaining({ revision: 0, kind: 'machine', createdAt: task.finishedAt })],
      });
      expect(await store.getTranscriptRevision(task.id, 0)).toEqual(MACHINE);
      const queued = await ctx.enqueue();
      expect(await store.listTranscriptRevisions(queued.id, 10)).toBeNull();
      expect(await store.getTranscriptRevision(queued.id, 0)).toBeNull();
      expect(await store.editTranscript(queued.id, { userId: 'alice' }, edit('alice', null, replace(0, 'x')))).toEqual({
        ok: false,
        reason: 'not_ready',
      });
    });

    it('a stale expected revision is a conflict and changes nothing; null applies to the newest', async () => {
      const { store } = ctx;
      const { user, task, scope } = await setup();
      await store.editTranscript(task.id, scope, edit(user.id, 0, replace(1, 'ships leave before noon')));
      expect(await store.editTranscript(task.id, scope, edit(user.id, 0, replace(1, 'x y z w')))).toEqual({
        ok: false,
        reason: 'conflict',
        current: 1,
      });
      expect((await store.getTranscript(task.id))?.segments[1]?.text).toBe('ships leave before noon');
      expect(must(await store.listTranscriptRevisions(task.id, 10)).current).toBe(1);
      expect(await store.editTranscript(task.id, scope, edit(user.id, null, replace(1, 'a b')))).toMatchObject({
        ok: true,
        revision: 2,
      });
    });

    it('an invalid operation throws InvalidEditError and stores nothing', async () => {
      const { store } = ctx;
      const { user, task, scope } = await setup();
      await expect(
        store.editTranscript(task.id, scope, edit(user.id, 0, replace(0, 'fine'), { op: 'merge', segment: 2 })),
      ).rejects.toBeInstanceOf(InvalidEditError);
      expect(await store.getTranscriptWithRevision(task.id)).toEqual({ revision: 0, transcript: MACHINE });
      expect(must(await store.listTranscriptRevisions(task.id, 10)).revisions).toHaveLength(1);
    });

    it("only the owner or an admin may edit; another user's task looks missing", async () => {
      const { store } = ctx;
      const { user, task } = await setup();
      expect(await store.editTranscript(task.id, { userId: 'mallory' }, edit('mallory', 0, replace(0, 'x')))).toEqual({
        ok: false,
        reason: 'missing',
      });
      expect(await store.editTranscript(task.id, ADMIN, edit('root', 0, replace(0, 'x')))).toMatchObject({ ok: true });
      expect(await store.editTranscript('nope', ADMIN, edit(user.id, 0, replace(0, 'x')))).toEqual({
        ok: false,
        reason: 'missing',
      });
    });

    it('a revert copies an older revision as the next one; a missing target is refused', async () => {
      const { store } = ctx;
      const { user, task, scope } = await setup();
      await store.editTranscript(task.id, scope, edit(user.id, 0, replace(0, 'one')));
      await store.editTranscript(task.id, scope, edit(user.id, 1, { op: 'merge', segment: 1 }));
      const revert = (to: number, expected: number | null = null) =>
        store.editTranscript(task.id, scope, { expected, userId: user.id, change: { kind: 'revert', revertTo: to } });
      expect(await revert(7)).toEqual({ ok: false, reason: 'no_revision' });
      expect(await revert(0, 1)).toEqual({ ok: false, reason: 'conflict', current: 2 });
      expect(await revert(0, 2)).toMatchObject({ ok: true, revision: 3, transcript: MACHINE });
      expect(await store.getTranscript(task.id)).toEqual(MACHINE);
      const history = must(await store.listTranscriptRevisions(task.id, 1000));
      expect(history.revisions.map((r) => [r.revision, r.kind, r.revertedTo])).toEqual([
        [0, 'machine', null],
        [1, 'edit', null],
        [2, 'edit', null],
        [3, 'revert', 0],
      ]);
      // Revision 2 (two segments after the merge) is rebuilt from revision 0 and two edits.
      expect((await store.getTranscriptRevision(task.id, 2))?.segments).toHaveLength(2);
      // Editing after a revert builds on the reverted content.
      expect(await store.editTranscript(task.id, scope, edit(user.id, 3, replace(2, 'nets')))).toMatchObject({
        ok: true,
        revision: 4,
      });
      expect((await store.getTranscriptRevision(task.id, 4))?.segments.map((s) => s.text)).toEqual([
        'the harbour opens at dawn',
        'boats leave before noon',
        'nets',
      ]);
    });

    it(`rebuilds every revision across snapshot points (every ${SNAPSHOT_EVERY}th); lists the newest only`, async () => {
      const { store } = ctx;
      const { user, task, scope } = await setup();
      const seen: Transcript[] = [MACHINE];
      const total = SNAPSHOT_EVERY + 4;
      for (let n = 1; n <= total; n++) {
        const r = await store.editTranscript(
          task.id,
          scope,
          edit(user.id, n - 1, replace(n % 3, `word${n} and more ${n}`)),
        );
        if (!r.ok) throw new Error(`edit ${n} failed: ${r.reason}`);
        seen.push(r.transcript);
      }
      for (const n of [0, 1, SNAPSHOT_EVERY - 1, SNAPSHOT_EVERY, SNAPSHOT_EVERY + 1, total]) {
        expect(await store.getTranscriptRevision(task.id, n), `revision ${n}`).toEqual(seen[n]);
      }
      const listed = must(await store.listTranscriptRevisions(task.id, 5));
      expect(listed.current).toBe(total);
      expect(listed.revisions.map((r) => r.revision)).toEqual([total - 4, total - 3, total - 2, total - 1, total]);
    });

    it('of two edits expecting the same revision from two store instances, exactly one wins', async () => {
      const { store } = ctx;
      const { user, task, scope } = await setup();
      const other = ctx.open();
      const results = await Promise.all([
        store.editTranscript(task.id, scope, edit(user.id, 0, replace(0, 'left'))),
        other.editTranscript(task.id, scope, edit(user.id, 0, replace(0, 'right'))),
      ]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, reason: 'conflict', current: 1 }]);
      const winner = results.find((r) => r.ok);
      const newest = must(await store.getTranscriptWithRevision(task.id));
      expect(newest.revision).toBe(1);
      expect(newest.transcript.segments[0]?.text).toBe(winner?.ok ? winner.transcript.segments[0]?.text : '?');
      expect(must(await store.listTranscriptRevisions(task.id, 10)).revisions).toHaveLength(2);
    });

    it('deleting the task removes its revisions', async () => {
      const { store } = ctx;
      const { user, task, scope } = await setup();
      await store.editTranscript(task.id, scope, edit(user.id, 0, replace(0, 'gone soon')));
      expect(await store.remove(task.id, scope)).not.toBeNull();
      expect(await store.listTranscriptRevisions(task.id, 10)).toBeNull();
      expect(await store.getTranscriptRevision(task.id, 0)).toBeNull();
      // A new task may reuse nothing of it: a fresh task starts at revision 0 with no history.
      const again = await store.addFinished(newTask({ id: task.id, userId: user.id }), MACHINE);
      expect(await store.getTranscriptWithRevision(again.id)).toEqual({ revision: 0, transcript: MACHINE });
      expect(must(await store.listTranscriptRevisions(again.id, 10)).revisions).toHaveLength(1);
    });

    it('search finds the edited word at once, and no longer the replaced one', async () => {
      const { store } = ctx;
      const { user, task, scope } = await setup();
      const page = { limit: 10, offset: 0 };
      expect(await store.searchTranscripts(scope, 'harbour', page)).toHaveLength(1);
      await store.editTranscript(task.id, scope, edit(user.id, 0, replace(0, 'the lighthouse opens at dawn')));
      expect(await store.searchTranscripts(scope, 'harbour', page)).toEqual([]);
      expect(await store.searchTranscripts(scope, 'lighthouse', page)).toEqual([
        expect.objectContaining({ taskId: task.id, segmentIndex: 0 }),
      ]);
    });
  });
}
