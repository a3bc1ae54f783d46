import { describe, expect, it } from 'vitest';
import type { Task } from '../../../src/core/task.js';
import type { WebhookDelivery, WebhookRetryPolicy } from '../../../src/core/webhook.js';
import type { TaskStore } from '../../../src/store/task.store.js';
import { WEBHOOK_SENDER_LOST } from '../../../src/store/webhook.transitions.js';
import type { ConformanceContext } from './context.js';
import { ADMIN, ALICE, LEASE, must, newTask, transcript } from './fixtures.js';

const HOOK = 'https://example.com/hook';
const POLICY: WebhookRetryPolicy = { maxAttempts: 3, baseDelayMs: 1_000 };
const HTTP_503 = { httpStatus: 503, error: 'receiver answered HTTP 503' };

/** The webhook outbox: deliveries written with end events, claimed with a lease, retried with backoff. */
export function webhooksConformance(ctx: ConformanceContext): void {
  /** A task with a callback_url run to success by w1. */
  async function succeeded(callbackUrl: string | null = HOOK): Promise<Task> {
    const task = await ctx.enqueue({ callbackUrl });
    await ctx.claimed('w1');
    expect(await ctx.store.complete(task.id, 'w1', transcript)).toBe(true);
    ctx.clock.advance(1);
    return task;
  }

  async function only(taskId: string): Promise<WebhookDelivery> {
    const list = await ctx.store.listWebhookDeliveries(taskId, 10);
    expect(list).toHaveLength(1);
    return must(list[0]);
  }

  async function claimOne(owner = 's1', s: TaskStore = ctx.store): Promise<WebhookDelivery> {
    const [d, ...rest] = await s.claimWebhookDeliveries(owner, LEASE, 1, POLICY);
    expect(rest).toEqual([]);
    return must(d, 'a claimed delivery');
  }

  describe('webhooks: deliveries written with the event', () => {
    it('complete() of a task with a callback_url writes one pending delivery, due at once', async () => {
      const task = await succeeded();
      const doneAt = ctx.clock.t - 1;
      const delivery = await only(task.id);
      expect(delivery).toEqual({
        id: expect.stringMatching(/^msg_[0-9a-f]{32}$/),
        taskId: task.id,
        userId: 'alice',
        eventType: 'done',
        url: HOOK,
        status: 'pending',
        attempts: 0,
        runAt: doneAt,
        leaseOwner: null,
        leaseExpiresAt: null,
        lastHttpStatus: null,
        lastError: null,
        createdAt: doneAt,
        lastAttemptAt: null,
        finishedAt: null,
        updatedAt: doneAt,
      });
      expect(await ctx.store.nextWebhookDueAt()).toBe(doneAt);
      expect(await ctx.store.countWebhookDeliveries()).toEqual({ pending: 1, sending: 0, delivered: 0, failed: 0 });
    });

    it('tasks without a callback_url, retries, cancels and deletes write none', async () => {
      const { store } = ctx;
      const plain = await succeeded(null);
      expect(await store.listWebhookDeliveries(plain.id, 10)).toEqual([]);
      const retried = await ctx.enqueue({ callbackUrl: HOOK });
      await ctx.claimed('w1');
      await store.fail(retried.id, 'w1', { code: 'engine_failed', message: 'boom', retryable: true });
      const cancelled = await ctx.enqueue({ callbackUrl: HOOK });
      await store.cancel(cancelled.id, ALICE);
      expect(await store.listWebhookDeliveries(retried.id, 10)).toEqual([]);
      expect(await store.listWebhookDeliveries(cancelled.id, 10)).toEqual([]);
      expect(await store.nextWebhookDueAt()).toBeNull();
    });

    it('a final failure, a reclaim that fails the task and addFinished() each write one', async () => {
      const { store, clock } = ctx;
      const failed = await ctx.enqueue({ callbackUrl: HOOK });
      await ctx.claimed('w1');
      await store.fail(failed.id, 'w1', { code: 'bad_audio', message: 'not audio', retryable: false });
      expect(await only(failed.id)).toMatchObject({ eventType: 'error', status: 'pending' });

      const lost = await ctx.enqueue({ callbackUrl: HOOK, maxAttempts: 1 });
      await ctx.claimed('w1');
      clock.advance(LEASE + 1);
      expect(await store.reclaimExpired(clock.t)).toBe(1);
      expect(await only(lost.id)).toMatchObject({ eventType: 'error', status: 'pending' });

      const saved = await store.addFinished(newTask({ callbackUrl: HOOK }), transcript);
      expect(await only(saved.id)).toMatchObject({ eventType: 'done', status: 'pending' });
    });

    it('a task that fails again after a user retry gets a second delivery; the log is oldest first', async () => {
      const { store, clock } = ctx;
      const task = await ctx.enqueue({ callbackUrl: HOOK });
      await ctx.claimed('w1');
      await store.fail(task.id, 'w1', { code: 'bad_audio', message: 'no', retryable: false });
      clock.advance(5);
      await store.retry(task.id, ALICE);
      await ctx.claimed('w1');
      await store.fail(task.id, 'w1', { code: 'bad_audio', message: 'no', retryable: false });
      const list = await store.listWebhookDeliveries(task.id, 10);
      expect(list.map((d) => d.eventType)).toEqual(['error', 'error']);
      expect(list[0]?.id).not.toBe(list[1]?.id);
      expect(await store.listWebhookDeliveries(task.id, 1)).toEqual([list[0]]);
    });

    it('deliveries go with their task when it is deleted', async () => {
      const { store } = ctx;
      const task = await succeeded();
      await claimOne();
      expect(await store.remove(task.id, ADMIN)).not.toBeNull();
      expect(await store.listWebhookDeliveries(task.id, 10)).toEqual([]);
      expect(await store.countWebhookDeliveries()).toEqual({ pending: 0, sending: 0, delivered: 0, failed: 0 });
    });
  });

  describe('webhooks: claim, lease, backoff', () => {
    it('claims due deliveries oldest first, up to the limit, with a lease and a try counted', async () => {
      const { store, clock } = ctx;
      const tasks = [await succeeded(), await succeeded(), await succeeded()];
      const now = clock.t;
      const first = await store.claimWebhookDeliveries('s1', LEASE, 2, POLICY);
      expect(first.map((d) => d.taskId)).toEqual([tasks[0]?.id, tasks[1]?.id]);
      expect(first[0]).toMatchObject({
        status: 'sending',
        attempts: 1,
        leaseOwner: 's1',
        leaseExpiresAt: now + LEASE,
        lastAttemptAt: now,
      });
      expect((await store.claimWebhookDeliveries('s2', LEASE, 5, POLICY)).map((d) => d.taskId)).toEqual([tasks[2]?.id]);
      expect(await store.claimWebhookDeliveries('s3', LEASE, 5, POLICY)).toEqual([]);
      // Nothing pending: the next due time is the earliest lease expiry.
      expect(await store.nextWebhookDueAt()).toBe(now + LEASE);
    });

    it('servers claiming at once never take the same delivery', async () => {
      for (let i = 0; i < 12; i++) await succeeded();
      const stores = [ctx.store, ctx.open(), ctx.open(), ctx.open()];
      const runs = await Promise.all(
        stores.map(async (s, i) => {
          const got: string[] = [];
          for (;;) {
            const batch = await s.claimWebhookDeliveries(`s${i}`, LEASE, 2, POLICY);
            if (batch.length === 0) return got;
            got.push(...batch.map((d) => d.id));
          }
        }),
      );
      const all = runs.flat();
      expect(all).toHaveLength(12);
      expect(new Set(all).size).toBe(12);
    });

    it('completing records the answer; only the lease holder can', async () => {
      const { store, clock } = ctx;
      const task = await succeeded();
      const d = await claimOne('s1');
      expect(await store.completeWebhookDelivery(d.id, 's2', 204)).toBeNull();
      clock.advance(7);
      expect(await store.completeWebhookDelivery(d.id, 's1', 204)).toMatchObject({
        status: 'delivered',
        lastHttpStatus: 204,
        leaseOwner: null,
        finishedAt: clock.t,
      });
      expect(await store.completeWebhookDelivery(d.id, 's1', 204)).toBeNull();
      expect((await only(task.id)).status).toBe('delivered');
      expect(await store.nextWebhookDueAt()).toBeNull();
    });

    it('an expired lease is reclaimed by another server, and the first one can no longer record', async () => {
      const { store, clock } = ctx;
      await succeeded();
      const d = await claimOne('s1');
      clock.advance(LEASE - 1);
      expect(await store.claimWebhookDeliveries('s2', LEASE, 5, POLICY)).toEqual([]);
      clock.advance(2);
      const again = await claimOne('s2', ctx.open());
      expect(again).toMatchObject({ id: d.id, attempts: 2, leaseOwner: 's2' });
      expect(await store.failWebhookDelivery(d.id, 's1', HTTP_503, POLICY)).toBeNull();
      expect(await store.completeWebhookDelivery(d.id, 's1', 200)).toBeNull();
      expect(await store.completeWebhookDelivery(d.id, 's2', 200)).toMatchObject({ status: 'delivered' });
    });

    it('a failed try backs off exponentially; the last one allowed fails the delivery', async () => {
      const { store, clock } = ctx;
      const task = await succeeded();
      let d = await claimOne();
      let now = clock.t;
      expect(await store.failWebhookDelivery(d.id, 's1', HTTP_503, POLICY)).toMatchObject({
        status: 'pending',
        runAt: now + 1_000,
        attempts: 1,
        lastHttpStatus: 503,
        lastError: 'receiver answered HTTP 503',
        leaseOwner: null,
        finishedAt: null,
      });
      expect(await store.nextWebhookDueAt()).toBe(now + 1_000);
      clock.advance(999);
      expect(await store.claimWebhookDeliveries('s1', LEASE, 5, POLICY)).toEqual([]);
      clock.advance(1);
      d = await claimOne();
      now = clock.t;
      const refused = { httpStatus: null, error: 'connect ECONNREFUSED 127.0.0.1:9' };
      expect(await store.failWebhookDelivery(d.id, 's1', refused, POLICY)).toMatchObject({
        status: 'pending',
        runAt: now + 2_000,
        attempts: 2,
        lastHttpStatus: null,
        lastError: refused.error,
      });
      clock.advance(2_000);
      d = await claimOne();
      expect(d.attempts).toBe(3);
      expect(await store.failWebhookDelivery(d.id, 's1', HTTP_503, POLICY)).toMatchObject({
        status: 'failed',
        attempts: 3,
        finishedAt: clock.t,
        lastHttpStatus: 503,
      });
      clock.advance(60_000);
      expect(await store.claimWebhookDeliveries('s1', LEASE, 5, POLICY)).toEqual([]);
      expect(await store.nextWebhookDueAt()).toBeNull();
      expect((await only(task.id)).status).toBe('failed');
    });

    it('a final failure fails at once; long errors are clipped', async () => {
      const { store } = ctx;
      await succeeded();
      const d = await claimOne();
      const failed = await store.failWebhookDelivery(
        d.id,
        's1',
        { httpStatus: null, error: 'x'.repeat(5_000), final: true },
        POLICY,
      );
      expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
      expect(failed?.lastError?.length).toBeLessThanOrEqual(500);
    });

    it('an expired lease with no tries left fails instead of being claimed', async () => {
      const { store, clock } = ctx;
      const task = await succeeded();
      const once: WebhookRetryPolicy = { ...POLICY, maxAttempts: 1 };
      await store.claimWebhookDeliveries('s1', LEASE, 1, once);
      clock.advance(LEASE + 1);
      expect(await store.claimWebhookDeliveries('s2', LEASE, 5, once)).toEqual([]);
      expect(await only(task.id)).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastError: WEBHOOK_SENDER_LOST,
        leaseOwner: null,
        finishedAt: clock.t,
      });
    });
  });

  describe('webhooks: signing secrets', () => {
    it('users get a Standard Webhooks secret at creation; it is stable until rotated', async () => {
      const { store } = ctx;
      const a = await store.createUser('alice', 'user', 'ha');
      const b = await store.createUser('bob', 'user', 'hb');
      const secret = must(await store.webhookSecret(a.id));
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
      expect(await store.webhookSecret(a.id)).toBe(secret);
      expect(await store.webhookSecret(b.id)).not.toBe(secret);
      const rotated = must(await store.rotateWebhookSecret(a.id));
      expect(rotated).not.toBe(secret);
      expect(await store.webhookSecret(a.id)).toBe(rotated);
      expect(await store.webhookSecret('nobody')).toBeNull();
      expect(await store.rotateWebhookSecret('nobody')).toBeNull();
      // The secret is never part of a user as listed.
      expect(JSON.stringify(await store.listUsers())).not.toContain('whsec_');
    });
  });
}
