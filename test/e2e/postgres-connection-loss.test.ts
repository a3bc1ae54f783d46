/**
 * PostgreSQL connections dropped under a running service: the API server and its worker keep going
 * on fresh connections. The server itself keeps running (other test files share it), so only this
 * service's connections are terminated, found by the application_name its processes connect with.
 * Three rounds of termination land while tasks are being recognised; afterwards every task must
 * have succeeded, nothing may be left queued or processing, and the event stream opened before the
 * first round must still deliver every task's end.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { longSpeech, synthSpeech } from '../helpers/audio-fixtures.js';
import { freshPgSchema, TEST_PG_URL, type TestSchema } from '../helpers/pg.js';
import { EventStream, type Service, startService } from '../helpers/service/index.js';

let schema: TestSchema;
let svc: Service;
let admin: pg.Client;

beforeAll(async () => {
  schema = await freshPgSchema('earshot_e2e');
  admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  svc = await startService({
    // libpq's PGAPPNAME, which node-postgres reads too: tags every connection of the server and its worker.
    env: { EARSHOT_DB: schema.url, PGAPPNAME: schema.schema, EARSHOT_MAX_CHUNK_SECONDS: 3 },
    faults: { delayMs: 300 },
  });
});

afterAll(async () => {
  await svc?.stop();
  await admin?.end();
  await schema?.drop();
});

/** Terminates every connection this service has open; returns how many there were. */
async function dropConnections(): Promise<number> {
  const { rows } = await admin.query<{ ok: boolean }>(
    'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
    [schema.schema],
  );
  return rows.filter((r) => r.ok).length;
}

describe('PostgreSQL connections terminated mid-run', () => {
  it('every task still completes and the event stream keeps flowing', async () => {
    const [recording, short] = await Promise.all([
      longSpeech(0.2).then((l) => l.path),
      synthSpeech('The quick brown fox jumps over the lazy dog.'),
    ]);
    const stream = await EventStream.open(`${svc.url}/v1/events`, svc.tokens.alice);
    await stream.waitFor((e) => e.event === 'snapshot', 10_000, 'the snapshot');
    const ids: string[] = [];
    for (const file of [recording, short, recording, short]) ids.push((await svc.upload(file)).id);

    // A round after each of three recognised chunks, each read by the server after the previous round
    // (so it has reconnected by then): the worker is mid-task every time.
    for (let round = 1, seen = 0; round <= 3; round++) {
      const after = seen;
      await stream.waitUntil(
        (events) => (events.slice(after).some((e) => e.event === 'segment') ? true : undefined),
        60_000,
        `a segment event after round ${round - 1}`,
      );
      seen = stream.events.length;
      expect(await dropConnections(), `round ${round}`).toBeGreaterThan(0);
    }

    for (const id of ids) await svc.waitForStatus(id, 'succeeded', 90_000);
    await stream.waitUntil(
      (events) => {
        const ended = new Set(
          events.filter((e) => e.event === 'done').map((e) => (e.data as { task: { id: string } }).task.id),
        );
        return ids.every((id) => ended.has(id)) ? true : undefined;
      },
      30_000,
      'a done event for every task',
    );
    stream.close();
    expect(await svc.readStore((s) => s.countByStatus())).toMatchObject({
      succeeded: ids.length,
      failed: 0,
      processing: 0,
      queued: 0,
    });
    for (const id of ids) expect((await svc.transcript(id)).text).not.toBe('');
    // The worker is idle again: nothing is stuck on a connection that went away.
    await svc.waitForWorkers(([w]) => w?.state === 'idle' && w.task_id === null, 15_000);
  });
});
