import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from './context.js';
import { ALICE, checkpoint, DELAYS, LEASE, must, transcript } from './fixtures.js';

/** Worker transitions: progress, complete, fail (with retry backoff). */
export function workerTransitionsConformance(ctx: ConformanceContext): void {
  describe('progress', () => {
    it('records stage, done seconds, duration and speed and appends a progress event', async () => {
      const { store, clock, enqueue, claimed } = ctx;
      const task = await enqueue({ durationSeconds: null });
      await claimed('w1');
      clock.advance(500);
      expect(
        await store.reportProgress(task.id, 'w1', {
          stage: 'recognizing',
          doneSeconds: 12.5,
          durationSeconds: 90,
          speed: 4.5,
        }),
      ).toBe(true);
      expect(await store.get(task.id, ALICE)).toMatchObject({
        stage: 'recognizing',
        doneSeconds: 12.5,
        durationSeconds: 90,
        speed: 4.5,
        updatedAt: clock.t,
      });
      // Omitted duration and speed keep their values.
      expect(await store.reportProgress(task.id, 'w1', { stage: 'merging', doneSeconds: 90 })).toBe(true);
      expect(await store.get(task.id, ALICE)).toMatchObject({ stage: 'merging', durationSeconds: 90, speed: 4.5 });
      const events = await store.readEvents(0, 100, { taskId: task.id });
      expect(events.slice(-2).map((e) => e.data)).toEqual([
        {
          status: 'processing',
          stage: 'recognizing',
          doneSeconds: 12.5,
          durationSeconds: 90,
          speed: 4.5,
          attempts: 1,
        },
        { status: 'processing', stage: 'merging', doneSeconds: 90, durationSeconds: 90, speed: 4.5, attempts: 1 },
      ]);
    });
  });

  describe('complete', () => {
    it('marks the task succeeded, stores the transcript and appends a done event', async () => {
      const { store, clock, enqueue, claimed } = ctx;
      const task = await enqueue({ durationSeconds: 60 });
      await claimed('w1');
      expect(await store.getTranscript(task.id)).toBeNull();
      clock.advance(5_000);
      expect(await store.complete(task.id, 'w1', transcript)).toBe(true);
      expect(await store.get(task.id, ALICE)).toMatchObject({
        status: 'succeeded',
        stage: 'done',
        doneSeconds: 60,
        durationSeconds: 60,
        finishedAt: clock.t,
        leaseOwner: null,
        leaseExpiresAt: null,
      });
      expect(await store.getTranscript(task.id)).toEqual(transcript);
      const last = (await store.readEvents(0, 100, { taskId: task.id })).at(-1);
      expect(last).toMatchObject({ type: 'done', data: { status: 'succeeded', doneSeconds: 60 } });
      // The lease is gone: a late heartbeat or second completion fails.
      expect(await store.heartbeat(task.id, 'w1', LEASE)).toBe(false);
      expect(await store.complete(task.id, 'w1', transcript)).toBe(false);
    });

    it("takes the transcript's duration when none was probed", async () => {
      const { store, enqueue, claimed } = ctx;
      const task = await enqueue({ durationSeconds: null });
      await claimed('w1');
      await store.complete(task.id, 'w1', { ...transcript, duration: 42.5 });
      expect(await store.get(task.id, ALICE)).toMatchObject({ durationSeconds: 42.5, doneSeconds: 42.5 });
    });
  });

  describe('fail and retry backoff', () => {
    it('re-queues retryable failures with the configured backoff until attempts run out', async () => {
      const { store, clock, enqueue, claimed } = ctx;
      const task = await enqueue({ maxAttempts: 3 });
      for (let attempt = 1; attempt <= 2; attempt++) {
        const t = await claimed(`w${attempt}`);
        expect(t.attempts).toBe(attempt);
        const failedAt = clock.t;
        const after = must(
          await store.fail(task.id, `w${attempt}`, {
            code: 'engine_failed',
            message: `crash ${attempt}`,
            retryable: true,
          }),
        );
        const delay = DELAYS[attempt - 1] ?? 0;
        expect(after).toMatchObject({
          status: 'queued',
          stage: 'waiting',
          attempts: attempt,
          runAt: failedAt + delay,
          errorCode: 'engine_failed',
          errorMessage: `crash ${attempt}`,
          leaseOwner: null,
          leaseExpiresAt: null,
          finishedAt: null,
        });
        clock.advance(delay - 1);
        expect(await store.claim('early', LEASE)).toBeNull();
        clock.advance(1);
      }
      const last = await claimed('w3');
      expect(last).toMatchObject({ attempts: 3, errorCode: null, errorMessage: null });
      const final = must(
        await store.fail(task.id, 'w3', { code: 'engine_failed', message: 'crash 3', retryable: true }),
      );
      expect(final).toMatchObject({ status: 'failed', attempts: 3, finishedAt: clock.t, errorMessage: 'crash 3' });
      const types = (await store.readEvents(0, 100, { taskId: task.id })).map((e) => e.type);
      expect(types).toEqual(['created', 'progress', 'retrying', 'progress', 'retrying', 'progress', 'error']);
      const retrying = (await store.readEvents(0, 100, { taskId: task.id })).find((e) => e.type === 'retrying');
      expect(retrying?.data).toMatchObject({ status: 'queued', attempts: 1, errorCode: 'engine_failed' });
    });

    it('fails non-retryable errors at once and keeps the checkpoints', async () => {
      const { store, enqueue, claimed } = ctx;
      const task = await enqueue({ maxAttempts: 5 });
      await claimed('w1');
      await store.checkpointChunk(task.id, 'w1', checkpoint(0, 1));
      const failed = must(
        await store.fail(task.id, 'w1', { code: 'bad_audio', message: 'not audio', retryable: false }),
      );
      expect(failed).toMatchObject({ status: 'failed', attempts: 1, errorCode: 'bad_audio', leaseOwner: null });
      expect((await store.getPlan(task.id)).chunks).toHaveLength(1);
      expect(await store.claim('w2', LEASE)).toBeNull();
    });

    it('uses DEFAULT_RETRY_DELAYS_MS when no delays are configured', async () => {
      const { clock, open, enqueue, claimed } = ctx;
      const plain = open({ now: clock.now, retryDelaysMs: undefined });
      const task = await enqueue({}, plain);
      await claimed('w1', plain);
      const after = must(await plain.fail(task.id, 'w1', { code: 'engine_failed', message: 'x', retryable: true }));
      expect(after.runAt).toBe(clock.t + 5_000);
    });
  });
}
