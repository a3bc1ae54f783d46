import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookVerificationError } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { startWebhookReceiver, verifyDelivery, type WebhookReceiver } from '../helpers/service/webhook-receiver.js';
import { call, type Json, json, until, upload, work } from './support.js';

let s: TestServer;
let receiver: WebhookReceiver;
afterEach(async () => {
  await s?.close();
  await receiver?.close();
});

async function get(path: string, user = 'alice'): Promise<{ status: number; body: Json }> {
  const res = await call(s, 'GET', path, { token: s.tokens[user] });
  return { status: res.status, body: await json(res) };
}

async function secretOf(user: string): Promise<string> {
  const { status, body } = await get('/v1/webhooks/secret', user);
  expect(status).toBe(200);
  return body.secret as string;
}

/** The task's delivery log, once `pred` holds for it. */
async function logWhen(taskId: string, pred: (deliveries: Json[]) => boolean): Promise<Json[]> {
  return until(async () => {
    const { body } = await get(`/v1/tasks/${taskId}/webhooks`);
    return pred(body.deliveries) ? (body.deliveries as Json[]) : null;
  }, 30_000);
}

const about = (id: string) => (body: unknown) => (body as { id?: string }).id === id;

describe('webhooks', () => {
  it('POSTs a signed {type, timestamp, id, status} when a task succeeds; it verifies with the caller’s secret', async () => {
    receiver = await startWebhookReceiver();
    s = await startServer({ config: { allowPrivateNetworks: true } });
    const t = await upload(s, 'alice', { callback_url: receiver.url });
    expect(t.callback_url).toBe(receiver.url);
    await work(s.store, t.id);
    const [d] = await receiver.waitFor(about(t.id), 1, 30_000);
    if (!d) throw new Error('no delivery');
    const [logged] = await logWhen(t.id, (l) => l[0]?.status === 'delivered');

    expect(d.contentType).toBe('application/json');
    expect(d.body).toEqual({ type: 'task.succeeded', timestamp: logged?.created_at, id: t.id, status: 'succeeded' });
    expect(d.headers['webhook-id']).toBe(logged?.id);
    expect(Math.abs(Number(d.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    expect(d.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    // A receiver checks it with the standardwebhooks package and the secret the API gives alice.
    const secret = await secretOf('alice');
    expect(verifyDelivery(secret, d)).toEqual(d.body);
    expect(() => verifyDelivery(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, d)).toThrow(
      WebhookVerificationError,
    );
    // The body as sent is what is signed: change it and the check fails.
    const tampered = { ...d, raw: d.raw.replace('succeeded', 'failed') };
    expect(() => verifyDelivery(secret, tampered)).toThrow(WebhookVerificationError);

    expect(logged).toMatchObject({
      task_id: t.id,
      type: 'task.succeeded',
      url: receiver.url,
      status: 'delivered',
      attempts: 1,
      max_attempts: 10,
      last_http_status: 204,
      last_error: null,
      next_attempt_at: null,
    });
    expect(Date.parse(logged?.finished_at)).toBeGreaterThanOrEqual(Date.parse(logged?.last_attempt_at));
  });

  it('retries a failed try with the same webhook-id and body, then succeeds; the log shows both tries', async () => {
    receiver = await startWebhookReceiver();
    receiver.answer((_d, i) => (i === 0 ? 500 : 204));
    s = await startServer({ config: { allowPrivateNetworks: true } });
    const t = await upload(s, 'alice', { callback_url: receiver.url });
    await work(s.store, t.id);
    const tries = await receiver.waitFor(about(t.id), 2, 30_000);
    expect(tries.map((d) => d.answered)).toEqual([500, 204]);
    expect(tries[1]?.headers['webhook-id']).toBe(tries[0]?.headers['webhook-id']);
    expect(tries[1]?.raw).toBe(tries[0]?.raw);
    const secret = await secretOf('alice');
    for (const d of tries) expect(verifyDelivery(secret, d)).toMatchObject({ id: t.id, status: 'succeeded' });
    const [logged] = await logWhen(t.id, (l) => l[0]?.status === 'delivered');
    expect(logged).toMatchObject({ attempts: 2, last_http_status: 204, last_error: null });
  });

  it('reports a failed task; after EARSHOT_WEBHOOK_MAX_ATTEMPTS tries the log shows the delivery failed', async () => {
    receiver = await startWebhookReceiver();
    receiver.answer(() => 503);
    s = await startServer({ config: { allowPrivateNetworks: true, webhookMaxAttempts: 3 } });
    const t = await upload(s, 'alice', { callback_url: receiver.url });
    const wid = await work(s.store, t.id, 'claimed');
    await s.store.fail(t.id, wid, { code: 'bad_audio', message: 'not audio', retryable: false });
    const [logged] = await logWhen(t.id, (l) => l[0]?.status === 'failed');
    expect(logged).toMatchObject({
      type: 'task.failed',
      status: 'failed',
      attempts: 3,
      max_attempts: 3,
      last_http_status: 503,
      last_error: 'receiver answered HTTP 503',
      next_attempt_at: null,
    });
    // The third try was the last: the delivery is failed once it is recorded, so none can follow.
    expect(receiver.deliveries.map((d) => d.body)).toEqual(
      Array(3).fill({ type: 'task.failed', timestamp: logged?.created_at, id: t.id, status: 'failed' }),
    );
    expect(await (await fetch(`${s.url}/metrics`)).text()).toMatch(/earshot_webhooks_pending 0\b/);
  });

  it('a cancelled task, or one without callback_url, sends nothing and has an empty log', async () => {
    receiver = await startWebhookReceiver();
    s = await startServer({ config: { allowPrivateNetworks: true } });
    const cancelled = await upload(s, 'alice', { callback_url: receiver.url });
    await call(s, 'POST', `/v1/tasks/${cancelled.id}/cancel`, { token: s.tokens.alice });
    const plain = await upload(s, 'alice');
    await work(s.store, plain.id);
    const marker = await upload(s, 'alice', { callback_url: receiver.url });
    await work(s.store, marker.id);
    await receiver.waitFor(about(marker.id), 1, 30_000);
    for (const id of [cancelled.id, plain.id])
      expect((await get(`/v1/tasks/${id}/webhooks`)).body).toEqual({ deliveries: [] });
    expect(receiver.deliveries).toHaveLength(1);
  });

  it('the delivery log is visible as its task is; secrets are per user and rotate', async () => {
    receiver = await startWebhookReceiver();
    s = await startServer({ config: { allowPrivateNetworks: true } });
    const t = await upload(s, 'alice', { callback_url: receiver.url });
    expect((await get(`/v1/tasks/${t.id}/webhooks`, 'bob')).status).toBe(404);
    expect((await get(`/v1/tasks/${t.id}/webhooks`, 'bob')).body.error.code).toBe('not_found');
    expect((await get(`/v1/tasks/${randomUUID()}/webhooks`)).status).toBe(404);
    expect((await get(`/v1/tasks/${t.id}/webhooks`, 'root')).body).toEqual({ deliveries: [] });
    expect((await call(s, 'GET', '/v1/webhooks/secret')).status).toBe(401);

    const alice = await secretOf('alice');
    expect(alice).toMatch(/^whsec_/);
    expect(await secretOf('bob')).not.toBe(alice);
    expect(await secretOf('alice')).toBe(alice);
    const res = await call(s, 'POST', '/v1/webhooks/secret/rotate', { token: s.tokens.alice });
    expect(res.status).toBe(200);
    const rotated = ((await json(res)) as Json).secret as string;
    expect(rotated).not.toBe(alice);
    expect(await secretOf('alice')).toBe(rotated);

    await work(s.store, t.id);
    const [d] = await receiver.waitFor(about(t.id), 1, 30_000);
    if (!d) throw new Error('no delivery');
    expect(verifyDelivery(rotated, d)).toMatchObject({ id: t.id });
    expect(() => verifyDelivery(alice, d)).toThrow(WebhookVerificationError);
    expect((await get(`/v1/tasks/${t.id}/webhooks`, 'root')).body.deliveries).toHaveLength(1);

    const spec = (await (await fetch(`${s.url}/openapi.json`)).json()) as Json;
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/tasks/{id}/webhooks', '/v1/webhooks/secret', '/v1/webhooks/secret/rotate']),
    );
  });

  it('a callback to a private address is refused when sent (SSRF guard) and fails without retries', async () => {
    receiver = await startWebhookReceiver();
    s = await startServer();
    // Accepted at creation only because it was written to the store directly (the API refuses it):
    // the sender checks again before every try.
    const task = await s.store.enqueue(
      {
        id: randomUUID(),
        userId: s.users.alice?.id as string,
        priority: 0,
        sourceName: 'clip.wav',
        mediaPath: '/nonexistent',
        mediaBytes: 1,
        options: { language: 'en', formats: ['json'] },
        callbackUrl: receiver.url,
        maxAttempts: 1,
        durationSeconds: 1,
      },
      Number.POSITIVE_INFINITY,
    );
    await work(s.store, task.id);
    const [logged] = await logWhen(task.id, (l) => l[0]?.status === 'failed');
    expect(logged).toMatchObject({ attempts: 1, last_http_status: null });
    expect(logged?.last_error).toMatch(/private or loopback/);
    expect(receiver.deliveries).toEqual([]);
  });

  it('closing the server ends a try that gets no answer after the shutdown grace; it stays due for later', async () => {
    // A receiver that takes the request and never answers.
    const received: string[] = [];
    const silent = createServer((req) => {
      req.resume();
      received.push(String(req.headers['webhook-id']));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`;
      s = await startServer({
        config: { allowPrivateNetworks: true, webhookTimeoutMs: 120_000, shutdownGraceMs: 200 },
      });
      const t = await upload(s, 'alice', { callback_url: url });
      await work(s.store, t.id);
      await until(() => received.length > 0, 30_000);
      const started = Date.now();
      await s.app.close();
      expect(Date.now() - started).toBeLessThan(20_000);
      const [d] = await s.store.listWebhookDeliveries(t.id, 10);
      expect(d).toMatchObject({ status: 'pending', attempts: 1, lastError: 'the server stopped mid-try' });
      expect(d?.id).toBe(received[0]);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
