/**
 * Task-finished callbacks where the service is more than one process: a task that finishes while the
 * API server is down, and two API servers over one store. Both are known gaps of the current design
 * (an in-memory sender fed by each server's event reader, which starts at the newest event at boot):
 * the first callback is lost, the second is sent twice. The tests are written as they should pass and
 * marked `it.fails` until the webhook outbox lands (issue 13: a delivery row written with the end
 * transition, claimed by one sender); remove `.fails` then.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthSpeech } from '../helpers/audio-fixtures.js';
import {
  type CliProcess,
  EventStream,
  type Service,
  startService,
  startWebhookReceiver,
  startWorker,
  type WebhookReceiver,
} from '../helpers/service/index.js';

const ADMIN = { admin: true } as const;
/** Far longer than delivery takes (the reader polls every 200 ms) on a loaded machine. */
const DELIVERY_WITHIN_MS = 10_000;
const ENV = { EARSHOT_WORKERS: 0, EARSHOT_WEBHOOK_ALLOW_PRIVATE: 'true' };

let svc: Service;
let receiver: WebhookReceiver;
let speech: string;
const others: Array<{ stop(): Promise<void> }> = [];

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  speech = await synthSpeech('The quick brown fox jumps over the lazy dog.');
  // No supervised workers: standalone ones are started when a test wants the work done.
  svc = await startService({ env: ENV });
});

afterAll(async () => {
  await Promise.all(others.splice(0).map((p) => p.stop()));
  await svc?.stop();
  await receiver?.close();
});

let sharedWorker: CliProcess | null = null;

/** The standalone worker, started on first use (the first test needs the server down by then). */
async function worker(): Promise<CliProcess> {
  if (sharedWorker === null) {
    sharedWorker = await startWorker({ id: 'hook-worker', dataDir: svc.dataDir, env: ENV });
    others.push(sharedWorker);
  }
  return sharedWorker;
}

const about = (id: string) => (body: unknown) => (body as { id?: string }).id === id;

describe('webhooks with several processes', () => {
  // Known gap, issue 13 (webhook outbox): the restarted server's event reader starts after the done event.
  it.fails('a task that finishes while the API server is down still gets its callback', async () => {
    const task = await svc.upload(speech, { callback_url: receiver.url });
    await svc.kill('SIGKILL');
    const w = await worker();
    await w.waitForLog((r) => r.msg === 'task succeeded' && r.taskId === task.id, 'task succeeded');
    expect((await svc.readStore((s) => s.get(task.id, ADMIN)))?.status).toBe('succeeded');
    await svc.restart();
    const [delivery] = await receiver.waitFor(about(task.id), 1, DELIVERY_WITHIN_MS);
    expect(delivery?.body).toEqual({ id: task.id, status: 'succeeded' });
  });

  // Known gap, issue 13 (webhook outbox): every server's event reader sees the done event and sends.
  it.fails('two API servers over one store send the callback once', async () => {
    if (!svc.running) await svc.restart();
    await worker();
    const second = await svc.sibling({ env: ENV });
    others.push(second);
    const streams = await Promise.all([svc, second].map((s) => EventStream.open(`${s.url}/v1/events`, s.tokens.alice)));
    const task = await svc.upload(speech, { callback_url: receiver.url });
    await receiver.waitFor(about(task.id), 1, 60_000);

    // A later event both servers have streamed proves both readers are past the done event, so each
    // has queued whatever callback it will send; then both senders must be idle.
    const marker = await second.upload(speech);
    await second.json(`/v1/tasks/${marker.id}/cancel`, { method: 'POST' });
    await Promise.all(
      streams.map((s) =>
        s.waitFor(
          (e) => e.event === 'cancelled' && (e.data as { task_id: string }).task_id === marker.id,
          DELIVERY_WITHIN_MS,
          'the marker',
        ),
      ),
    );
    for (const s of [svc, second]) {
      await s.until(
        'no webhook pending',
        async () => /earshot_webhooks_pending 0\b/.test(await (await fetch(`${s.url}/metrics`)).text()),
        { timeoutMs: DELIVERY_WITHIN_MS },
      );
    }
    for (const s of streams) s.close();
    expect(receiver.deliveries.filter((d) => about(task.id)(d.body))).toHaveLength(1);
  });
});
