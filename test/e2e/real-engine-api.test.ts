/**
 * The API's ways of getting a result, once each through the real engine: `earshot serve` with its
 * worker recognising a real LibriVox clip with PocketSphinx. `?wait=true` answers with the real
 * transcript, the event stream's `segment` events add up to that transcript, and the callback
 * reports success. (test/api/ covers the same routes in depth with a scripted worker.)
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/api/schemas/task.schema.js';
import type { Segment, Transcript } from '../../src/core/transcript.js';
import { normalizeWords, wordErrorRate } from '../../src/core/wer.js';
import { LIBRIVOX_DIR, loadLibrivox } from '../engines/librivox.js';
import {
  EventStream,
  type Service,
  startService,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../helpers/service/index.js';

/** The longest clip (7.1 s): with 3 s chunks it is recognised in several chunks, so several segment events. */
const CLIP_ID = 'sense_and_sensibility_01_austen_64kb-0870';
/** PocketSphinx's per-clip bound in test/engines/pocketsphinx.test.ts. */
const MAX_WER = 0.5;

let svc: Service;
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  svc = await startService({ env: { EARSHOT_MAX_CHUNK_SECONDS: 3, EARSHOT_WEBHOOK_ALLOW_PRIVATE: 'true' } });
});

afterAll(async () => {
  await svc?.stop();
  await receiver?.close();
});

describe('results through the real engine', () => {
  it('?wait=true returns the real transcript; SSE segments match it; the webhook reports success', async () => {
    const reference = loadLibrivox().find((c) => c.id === CLIP_ID)?.reference as string;
    const events = await EventStream.open(`${svc.url}/v1/events`, svc.tokens.alice);
    await events.waitFor((e) => e.event === 'snapshot', 10_000, 'the snapshot');

    const form = new FormData();
    form.append('callback_url', receiver.url);
    form.append('file', new Blob([await readFile(`${LIBRIVOX_DIR}/${CLIP_ID}.wav`)]), `${CLIP_ID}.wav`);
    const res = await svc.request('/v1/tasks?wait=true', { method: 'POST', body: form });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { task: TaskView; transcript: Transcript };
    const id = body.task.id;
    expect(body.task.status).toBe('succeeded');
    const wer = wordErrorRate(reference, body.transcript.text);
    expect(wer.wer, body.transcript.text).toBeLessThan(MAX_WER);
    expect(body.transcript).toEqual(await svc.transcript(id));

    await events.waitFor(
      (e) => e.event === 'done' && (e.data as { task: TaskView }).task.id === id,
      10_000,
      'the done event',
    );
    events.close();
    const segments = events
      .ofType('segment')
      .map((e) => e.data as { task_id: string; index: number; segments: Segment[] })
      .filter((d) => d.task_id === id)
      .sort((a, b) => a.index - b.index);
    expect(segments.length).toBeGreaterThanOrEqual(2);
    const streamed = segments.flatMap((d) => d.segments.map((s) => s.text)).join(' ');
    expect(normalizeWords(streamed)).toEqual(normalizeWords(body.transcript.text));

    const [delivery] = await receiver.waitFor((b) => (b as { id?: string }).id === id, 1, 10_000);
    expect(delivery?.body).toMatchObject({ type: 'task.succeeded', id, status: 'succeeded' });
    expect(delivery?.contentType).toBe('application/json');
  });
});
