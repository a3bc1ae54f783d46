import { describe, expect, it } from 'vitest';
import type { Summary } from '../../../src/core/artifact.js';
import { ConflictError } from '../../../src/core/errors/index.js';
import type { Task } from '../../../src/core/task.js';
import type { ConformanceContext } from './context.js';
import { ADMIN, ALICE, BOB, DELAYS, LEASE, must, newTask, transcript } from './fixtures.js';

const summary: Summary = { summary: 'a talk', keyPoints: ['one', 'two'], model: 'm' };
const RETRYABLE = { code: 'llm_unavailable', message: 'HTTP 503', retryable: true };

/** Post-processing artifacts: queued with completion, claimed with a bounded lease, their own lifecycle. */
export function artifactsConformance(ctx: ConformanceContext): void {
  /** A task run to success by w1, with the given options. */
  async function succeeded(options: { summary?: boolean; polish?: boolean } = {}): Promise<Task> {
    const task = await ctx.enqueue({ options: { language: 'en', formats: ['json'], ...options } });
    await ctx.claimed('w1');
    expect(await ctx.store.complete(task.id, 'w1', transcript)).toBe(true);
    ctx.clock.advance(1);
    return task;
  }

  describe('artifacts: queueing', () => {
    it('complete() queues the artifacts the options ask for, and only those', async () => {
      const { store, clock } = ctx;
      const both = await succeeded({ summary: true, polish: true });
      const completedAt = clock.t - 1;
      const none = await succeeded();
      const queued = must(await store.getArtifact(both.id, 'summary'));
      expect(queued).toEqual({
        taskId: both.id,
        kind: 'summary',
        status: 'queued',
        stage: 'waiting',
        doneWindows: 0,
        totalWindows: 0,
        attempts: 0,
        maxAttempts: 3,
        runAt: completedAt,
        errorCode: null,
        errorMessage: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        createdAt: completedAt,
        startedAt: null,
        finishedAt: null,
        updatedAt: completedAt,
        revision: null,
      });
      expect(await store.getArtifact(both.id, 'polish')).toMatchObject({ status: 'queued' });
      expect(await store.getArtifact(none.id, 'summary')).toBeNull();
      expect(await store.getArtifactResult(both.id, 'summary')).toBeNull();
    });

    it('addFinished() queues requested artifacts too', async () => {
      const task = await ctx.store.addFinished(
        newTask({ options: { language: 'en', formats: ['json'], polish: true } }),
        transcript,
      );
      expect(await ctx.store.getArtifact(task.id, 'polish')).toMatchObject({ status: 'queued' });
      expect(await ctx.store.getArtifact(task.id, 'summary')).toBeNull();
    });

    it('requestArtifact: scoped, only for succeeded tasks, idempotent, re-queues a failed one', async () => {
      const { store } = ctx;
      const task = await succeeded();
      const queued = await ctx.enqueue();
      await expect(store.requestArtifact(queued.id, 'summary', ALICE)).rejects.toMatchObject({ code: 'not_ready' });
      await expect(store.requestArtifact(queued.id, 'summary', ALICE)).rejects.toBeInstanceOf(ConflictError);
      expect(await store.requestArtifact(task.id, 'summary', BOB)).toBeNull();
      expect(await store.requestArtifact('missing', 'summary', ADMIN)).toBeNull();
      const first = must(await store.requestArtifact(task.id, 'summary', ALICE));
      expect(first).toMatchObject({ status: 'queued', attempts: 0 });
      expect(await store.requestArtifact(task.id, 'summary', ALICE)).toEqual(first);
      // Run it to a final failure, then ask again.
      must(await store.claimArtifact('r1', LEASE, 10));
      expect(
        await store.failArtifact(task.id, 'summary', 'r1', { code: 'llm_bad', message: 'no', retryable: false }),
      ).toMatchObject({ status: 'failed', errorCode: 'llm_bad' });
      ctx.clock.advance(5);
      expect(await store.requestArtifact(task.id, 'summary', ADMIN)).toMatchObject({
        status: 'queued',
        attempts: 0,
        errorCode: null,
        runAt: ctx.clock.t,
      });
    });
  });

  describe('artifacts: after edits', () => {
    it('a request after an edit makes a succeeded artifact again; one of the newest revision stays', async () => {
      const { store, clock } = ctx;
      const task = await succeeded({ polish: true });
      must(await store.claimArtifact('r1', LEASE, 1));
      expect(await store.completeArtifact(task.id, 'polish', 'r1', transcript, 0)).toBe(true);
      const made = must(await store.getArtifact(task.id, 'polish'));
      expect(made).toMatchObject({ status: 'succeeded', revision: 0 });
      // Asked again with no edit in between: nothing to do.
      expect(await store.requestArtifact(task.id, 'polish', ALICE)).toEqual(made);
      const edit = await store.editTranscript(task.id, ALICE, {
        expected: 0,
        userId: 'alice',
        change: { kind: 'edit', operations: [{ op: 'replace_text', segment: 0, text: 'an edited segment' }] },
      });
      expect(edit).toMatchObject({ ok: true, revision: 1 });
      clock.advance(5);
      const again = must(await store.requestArtifact(task.id, 'polish', ALICE));
      expect(again).toMatchObject({ status: 'queued', attempts: 0, runAt: clock.t, finishedAt: null });
      // The summary was never asked for: an edit does not create one.
      expect(await store.getArtifact(task.id, 'summary')).toBeNull();
      must(await store.claimArtifact('r2', LEASE, 1));
      expect(await store.completeArtifact(task.id, 'polish', 'r2', transcript, 1)).toBe(true);
      const remade = must(await store.getArtifact(task.id, 'polish'));
      expect(remade).toMatchObject({ status: 'succeeded', revision: 1 });
      expect(await store.requestArtifact(task.id, 'polish', ALICE)).toEqual(remade);
    });
  });

  describe('artifacts: runner transitions', () => {
    it('claims the oldest due artifact with a lease; holder-only progress, heartbeat and complete', async () => {
      const { store, clock } = ctx;
      const task = await succeeded({ summary: true });
      const claimed = must(await store.claimArtifact('r1', LEASE, 10));
      expect(claimed).toMatchObject({
        taskId: task.id,
        kind: 'summary',
        status: 'running',
        attempts: 1,
        leaseOwner: 'r1',
        leaseExpiresAt: clock.t + LEASE,
        startedAt: clock.t,
      });
      expect(await store.claimArtifact('r2', LEASE, 10)).toBeNull();
      const progress = { stage: 'mapping', doneWindows: 1, totalWindows: 3 } as const;
      expect(await store.reportArtifactProgress(task.id, 'summary', 'r2', progress)).toBe(false);
      expect(await store.reportArtifactProgress(task.id, 'summary', 'r1', progress)).toBe(true);
      expect(await store.getArtifact(task.id, 'summary')).toMatchObject(progress);
      clock.advance(1000);
      expect(await store.heartbeatArtifact(task.id, 'summary', 'r2', LEASE)).toBe(false);
      expect(await store.heartbeatArtifact(task.id, 'summary', 'r1', LEASE)).toBe(true);
      expect((await store.getArtifact(task.id, 'summary'))?.leaseExpiresAt).toBe(clock.t + LEASE);
      expect(await store.completeArtifact(task.id, 'summary', 'r2', summary, 0)).toBe(false);
      expect(await store.completeArtifact(task.id, 'summary', 'r1', summary, 0)).toBe(true);
      expect(await store.getArtifact(task.id, 'summary')).toMatchObject({
        status: 'succeeded',
        stage: 'done',
        doneWindows: 3,
        leaseOwner: null,
        finishedAt: clock.t,
        revision: 0,
      });
      expect(await store.getArtifactResult(task.id, 'summary')).toEqual(summary);
      expect(await store.getArtifactResult(task.id, 'polish')).toBeNull();
      // The transcript and the task are untouched.
      expect(await store.get(task.id, ALICE)).toMatchObject({ status: 'succeeded' });
    });

    it('stores a polished transcript as its result', async () => {
      const task = await succeeded({ polish: true });
      must(await ctx.store.claimArtifact('r1', LEASE, 1));
      const polished = { ...transcript, text: 'Hello, world.' };
      expect(await ctx.store.completeArtifact(task.id, 'polish', 'r1', polished, 0)).toBe(true);
      expect(await ctx.store.getArtifactResult(task.id, 'polish')).toEqual(polished);
      expect(await ctx.store.getTranscript(task.id)).toEqual(transcript);
    });

    it('bounds running artifacts across claimers; an expired lease does not count', async () => {
      const { store, clock } = ctx;
      await succeeded({ summary: true, polish: true });
      await succeeded({ summary: true });
      const other = ctx.open();
      const [a, b] = await Promise.all([store.claimArtifact('r1', LEASE, 2), other.claimArtifact('r2', LEASE, 2)]);
      expect(a).not.toBeNull();
      expect(b).not.toBeNull();
      expect(`${a?.taskId}/${a?.kind}`).not.toBe(`${b?.taskId}/${b?.kind}`);
      expect(await store.claimArtifact('r3', LEASE, 2)).toBeNull();
      clock.advance(LEASE + 1);
      expect(await store.claimArtifact('r3', LEASE, 2)).not.toBeNull();
    });

    it('a retryable failure backs off while attempts remain, then fails; release does not count', async () => {
      const { store, clock } = ctx;
      const task = await succeeded({ summary: true });
      must(await store.claimArtifact('r1', LEASE, 1));
      expect(await store.failArtifact(task.id, 'summary', 'r2', RETRYABLE)).toBeNull();
      expect(await store.failArtifact(task.id, 'summary', 'r1', RETRYABLE)).toMatchObject({
        status: 'queued',
        runAt: clock.t + must(DELAYS[0]),
        errorCode: 'llm_unavailable',
        leaseOwner: null,
      });
      expect(await store.claimArtifact('r1', LEASE, 1)).toBeNull();
      clock.advance(must(DELAYS[0]));
      must(await store.claimArtifact('r1', LEASE, 1));
      expect(await store.releaseArtifact(task.id, 'summary', 'r1')).toBe(true);
      expect(await store.getArtifact(task.id, 'summary')).toMatchObject({ status: 'queued', attempts: 1 });
      must(await store.claimArtifact('r1', LEASE, 1));
      expect(await store.failArtifact(task.id, 'summary', 'r1', RETRYABLE)).toMatchObject({ attempts: 2 });
      clock.advance(must(DELAYS[1]));
      must(await store.claimArtifact('r1', LEASE, 1));
      expect(await store.failArtifact(task.id, 'summary', 'r1', RETRYABLE)).toMatchObject({
        status: 'failed',
        attempts: 3,
        finishedAt: clock.t,
      });
      expect(await store.get(task.id, ALICE)).toMatchObject({ status: 'succeeded' });
    });

    it('reclaims expired leases (a crashed server), and the old holder can no longer act', async () => {
      const { store, clock } = ctx;
      const task = await succeeded({ polish: true });
      must(await store.claimArtifact('r1', LEASE, 1));
      expect(await store.reclaimExpiredArtifacts(clock.t + LEASE - 1)).toBe(0);
      clock.advance(LEASE + 1);
      expect(await store.reclaimExpiredArtifacts(clock.t)).toBe(1);
      expect(await store.getArtifact(task.id, 'polish')).toMatchObject({
        status: 'queued',
        errorCode: 'worker_lost',
        leaseOwner: null,
      });
      expect(await store.completeArtifact(task.id, 'polish', 'r1', transcript, 0)).toBe(false);
    });

    it("logs each change of state as an `artifact` event of its task, after the task's own", async () => {
      const { store } = ctx;
      const task = await succeeded({ summary: true });
      must(await store.claimArtifact('r1', LEASE, 1));
      await store.heartbeatArtifact(task.id, 'summary', 'r1', LEASE);
      await store.reportArtifactProgress(task.id, 'summary', 'r1', {
        stage: 'mapping',
        doneWindows: 0,
        totalWindows: 2,
      });
      await store.failArtifact(task.id, 'summary', 'r1', RETRYABLE);
      const log = await store.readEvents(0, 100, { taskId: task.id });
      const tail = log.slice(log.findIndex((e) => e.type === 'done'));
      expect(tail.map((e) => [e.type, e.userId])).toEqual([
        ['done', 'alice'],
        ['artifact', 'alice'],
        ['artifact', 'alice'],
        ['artifact', 'alice'],
        ['artifact', 'alice'],
      ]);
      expect(tail.slice(1).map((e) => e.data)).toEqual([
        expect.objectContaining({ kind: 'summary', status: 'queued', attempts: 0 }),
        expect.objectContaining({ status: 'running', stage: 'waiting', attempts: 1 }),
        expect.objectContaining({ status: 'running', stage: 'mapping', doneWindows: 0, totalWindows: 2 }),
        expect.objectContaining({ status: 'queued', errorCode: 'llm_unavailable', errorMessage: 'HTTP 503' }),
      ]);
      // A second-worker attempt logs nothing.
      const seq = await store.latestEventSeq();
      expect(await store.releaseArtifact(task.id, 'summary', 'r2')).toBe(false);
      expect(await store.latestEventSeq()).toBe(seq);
    });

    it('deleting the task deletes its artifacts and results', async () => {
      const { store } = ctx;
      const task = await succeeded({ summary: true });
      must(await store.claimArtifact('r1', LEASE, 1));
      await store.completeArtifact(task.id, 'summary', 'r1', summary, 0);
      expect(await store.remove(task.id, ALICE)).not.toBeNull();
      expect(await store.getArtifact(task.id, 'summary')).toBeNull();
      expect(await store.getArtifactResult(task.id, 'summary')).toBeNull();
      expect(await store.claimArtifact('r1', LEASE, 1)).toBeNull();
    });
  });
}
