/**
 * Task-finished callbacks where the service is more than one process, with real processes and real
 * HTTP on loopback. The store writes a delivery row with each end event (the outbox), and every API
 * server runs a sender that claims rows with a lease: a callback survives the server being down
 * when its task ends, and is sent once however many servers share the store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthSpeech } from '../helpers/audio-fixtures.js';
import { freshPgSchema, type TestSchema } from '../helpers/pg.js';
import {
  type CliProcess,
  type Delivery,
  type Service,
  startService,
  startWebhookReceiver,
  startWorker,
  verifyDelivery,
  type WebhookReceiver,
} from '../helpers/service/index.js';

const ADMIN = { admin: true } as const;
/** Far longer than delivery takes on a loaded machine. */
const DELIVERY_WITHIN_MS = 30_000;
/** Quick retries, so a receiver that comes back is reached soon; tries enough never to run out here. */
const HOOK_ENV = {
  EARSHOT_ALLOW_PRIVATE_NETWORKS: 'true',
  EARSHOT_WEBHOOK_BASE_DELAY_MS: 200,
  EARSHOT_WEBHOOK_MAX_ATTEMPTS: 30,
  EARSHOT_WEBHOOK_TIMEOUT_MS: 2_000,
  EARSHOT_WEBHOOK_POLL_MS: 500,
};

interface LoggedDelivery {
  id: string;
  status: string;
  attempts: number;
  last_error: string | null;
}

const about = (id: string) => (body: unknown) => (body as { id?: string }).id === id;
const answeredOk = (d: Delivery) => d.answered >= 200 && d.answered < 300;

/** Polls until no callback is pending or being sent anywhere in the deployment (the gauge reads the store). */
async function allSent(svc: Service): Promise<void> {
  await svc.until(
    'no webhook pending',
    async () => /earshot_webhooks_pending 0\b/.test(await (await fetch(`${svc.url}/metrics`)).text()),
    { timeoutMs: DELIVERY_WITHIN_MS },
  );
}

async function deliveryLog(svc: Service, taskId: string): Promise<LoggedDelivery[]> {
  return (await svc.json<{ deliveries: LoggedDelivery[] }>(`/v1/tasks/${taskId}/webhooks`)).deliveries;
}

let speech: string;
beforeAll(async () => {
  speech = await synthSpeech('The quick brown fox jumps over the lazy dog.');
});

describe('webhooks with several processes on SQLite', () => {
  const ENV = { ...HOOK_ENV, EARSHOT_WORKERS: 0 };
  let svc: Service;
  let receiver: WebhookReceiver;
  const others: Array<{ stop(): Promise<void> }> = [];
  let sharedWorker: CliProcess | null = null;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    // No supervised workers: a standalone one is started when a test wants the work done.
    svc = await startService({ env: ENV });
  });

  afterAll(async () => {
    await Promise.all(others.splice(0).map((p) => p.stop()));
    await svc?.stop();
    await receiver?.close();
  });

  /** The standalone worker, started on first use (the first test needs the server down by then). */
  async function worker(): Promise<CliProcess> {
    if (sharedWorker === null) {
      sharedWorker = await startWorker({ id: 'hook-worker', dataDir: svc.dataDir, env: ENV });
      others.push(sharedWorker);
    }
    return sharedWorker;
  }

  it('a task that finishes while the API server is down still gets its callback', async () => {
    const task = await svc.upload(speech, { callback_url: receiver.url });
    await svc.kill('SIGKILL');
    const w = await worker();
    await w.waitForLog((r) => r.msg === 'task succeeded' && r.taskId === task.id, 'task succeeded');
    expect((await svc.readStore((s) => s.get(task.id, ADMIN)))?.status).toBe('succeeded');
    // The delivery was written with the done event, while no server was running.
    expect(await svc.readStore((s) => s.listWebhookDeliveries(task.id, 10))).toMatchObject([{ status: 'pending' }]);
    await svc.restart();
    const [delivery] = await receiver.waitFor(about(task.id), 1, DELIVERY_WITHIN_MS);
    expect(delivery?.body).toMatchObject({ type: 'task.succeeded', id: task.id, status: 'succeeded' });
  });

  it('two API servers over one store send the callback once', async () => {
    if (!svc.running) await svc.restart();
    await worker();
    const second = await svc.sibling({ env: ENV });
    others.push(second);
    const task = await second.upload(speech, { callback_url: receiver.url });
    await receiver.waitFor(about(task.id), 1, 60_000);
    await allSent(svc);
    expect(receiver.deliveries.filter((d) => about(task.id)(d.body))).toHaveLength(1);
    expect(await deliveryLog(svc, task.id)).toMatchObject([{ status: 'delivered', attempts: 1 }]);
  });
});

describe('webhooks with two API servers on one PostgreSQL schema', () => {
  let schema: TestSchema;
  let a: Service;
  let b: Service;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    schema = await freshPgSchema('earshot_e2e');
    receiver = await startWebhookReceiver();
    const env = { ...HOOK_ENV, EARSHOT_DB: schema.url, EARSHOT_WORKERS: 1, EARSHOT_CONCURRENCY: 1 };
    a = await startService({ env });
    b = await a.sibling({ env });
  });

  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await receiver?.close();
    await schema?.drop();
  });

  /** Uploads `n` tasks with a callback, alternately to each server. */
  async function uploads(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++)
      ids.push((await (i % 2 === 0 ? a : b).upload(speech, { callback_url: receiver.url })).id);
    return ids;
  }

  /** What the receiver accepted (2xx) for each task, once every task has at least one. */
  async function acceptedPerTask(ids: string[]): Promise<Map<string, Delivery[]>> {
    for (const id of ids) await receiver.waitFor(about(id), 1, 120_000);
    await allSent(a);
    return new Map(ids.map((id) => [id, receiver.deliveries.filter((d) => about(id)(d.body) && answeredOk(d))]));
  }

  it('every task’s callback is delivered exactly once, signed, whichever server sends it', async () => {
    const ids = await uploads(6);
    const accepted = await acceptedPerTask(ids);
    const secret = (await a.json<{ secret: string }>('/v1/webhooks/secret')).secret;
    for (const id of ids) {
      const got = accepted.get(id) ?? [];
      expect(got, `callbacks of ${id}`).toHaveLength(1);
      expect(verifyDelivery(secret, got[0] as Delivery)).toMatchObject({ id, status: 'succeeded' });
      expect(await deliveryLog(b, id)).toMatchObject([{ status: 'delivered', attempts: 1 }]);
    }
    // No other callback arrived at all (every try was answered 2xx, so none was retried).
    expect(receiver.deliveries).toHaveLength(ids.length);
    // Each was sent by one server: the two logs together hold one 'webhook delivered' per task.
    const sent = [a, b].flatMap((s) => s.logRecords((r) => r.msg === 'webhook delivered').map((r) => r.taskId));
    expect(sent.sort()).toEqual([...ids].sort());
  });

  it('callbacks pending while both servers are stopped arrive once they run again', async () => {
    await receiver.stop();
    const before = receiver.deliveries.length;
    const ids = await uploads(3);
    // Every task ended and its first tries were refused: the deliveries wait in the store.
    for (const id of ids) {
      await a.until(
        `a refused try of ${id}`,
        async () => {
          const [d] = await deliveryLog(a, id);
          return d?.status === 'pending' && d.attempts >= 1 && /ECONNREFUSED/.test(d.last_error ?? '');
        },
        { timeoutMs: 120_000 },
      );
    }
    // One stops gracefully, the other dies (its lease on a try in flight, if any, expires).
    await a.kill('SIGTERM');
    await b.kill('SIGKILL');
    await receiver.start();
    await a.restart();
    await b.restart();

    const accepted = await acceptedPerTask(ids);
    for (const id of ids) {
      expect(accepted.get(id), `callbacks of ${id}`).toHaveLength(1);
      const [logged] = await deliveryLog(a, id);
      expect(logged).toMatchObject({ status: 'delivered', last_error: null });
      expect(logged?.attempts).toBeGreaterThanOrEqual(2);
    }
    expect(receiver.deliveries.length - before).toBe(ids.length);
  });
});
