/**
 * Queue mechanics of the real service (separate processes): failed attempts are retried after the
 * configured backoff, a task that keeps failing ends `failed` with a clear error, an attempt over its
 * time budget is aborted and retried, and a full queue answers 429 with Retry-After. Engine faults
 * come from the fault-injecting wrapper; what it lets through is recognised by PocketSphinx.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskEvent } from '../../src/core/event.js';
import type { FaultConfig } from '../../src/engines/faulty/faulty.engine.js';
import { synthSpeech } from '../helpers/audio-fixtures.js';
import { type Service, type SseEvent, startService, type TaskView } from '../helpers/service/index.js';

let short: string;
const services: Service[] = [];

async function service(env: Record<string, string | number>, faults?: FaultConfig): Promise<Service> {
  const svc = await startService({ env, ...(faults ? { faults } : {}) });
  services.push(svc);
  return svc;
}

/** The task's event log, straight from the store (it has the times the API does not show). */
function eventLog(svc: Service, taskId: string): Promise<TaskEvent[]> {
  return svc.readStore((s) => s.readEvents(0, 10_000, { taskId }));
}

/** The log's claims: the first progress event of each attempt (a claim counts the attempt). */
function claims(log: TaskEvent[]): TaskEvent[] {
  const seen = new Set<unknown>();
  return log.filter((e) => {
    if (e.type !== 'progress' || e.data.status !== 'processing' || seen.has(e.data.attempts)) return false;
    seen.add(e.data.attempts);
    return true;
  });
}

const taskOf = (e: SseEvent) => (e.data as { task: TaskView }).task;

beforeAll(async () => {
  short = await synthSpeech('The quick brown fox jumps over the lazy dog.');
});

afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
});

describe('retries and limits (real processes)', () => {
  it('an attempt whose engine calls fail (beyond the chunk retry) is retried after the backoff and succeeds', async () => {
    const backoffMs = 1500;
    // One chunk: call 1 fails, the pipeline's single retry (call 2) fails too, so attempt 1 fails;
    // attempt 2's call 3 reaches PocketSphinx.
    const svc = await service({ EARSHOT_RETRY_DELAYS_MS: `${backoffMs},${backoffMs}` }, { failFirst: 2 });
    const task = await svc.upload(short);
    const events = await svc.taskEvents(task.id);

    const retrying = await events.waitFor(
      (e) => e.event === 'progress' && taskOf(e).status === 'queued' && taskOf(e).error !== null,
      60_000,
      'the retrying event',
    );
    expect(taskOf(retrying).error?.code).toBe('engine_failed');
    expect(taskOf(retrying).attempts).toBe(1);
    const done = await svc.waitForStatus(task.id, 'succeeded');
    expect(done.attempts).toBe(2);
    expect(done.error).toBeNull();
    expect((await svc.transcript(task.id)).text).toMatch(/fox/);
    expect(svc.logRecords((r) => r.msg === 'chunk recognition failed; retrying once')).toHaveLength(1);

    const log = await eventLog(svc, task.id);
    const failed = log.filter((e) => e.type === 'retrying');
    expect(failed.map((e) => e.data.errorCode)).toEqual(['engine_failed']);
    const [first, second] = claims(log);
    expect(claims(log)).toHaveLength(2);
    const failedAt = failed[0]?.createdAt as number;
    expect(failed[0]?.data.runAt).toBe(failedAt + backoffMs);
    expect(failedAt).toBeGreaterThan(first?.createdAt as number);
    // Not before the backoff. (How soon after it depends on the machine's load, so it is not asserted.)
    expect((second?.createdAt as number) - failedAt).toBeGreaterThanOrEqual(backoffMs);
    events.close();
  });

  it('a task whose every engine call fails ends failed after max attempts with the engine error', async () => {
    const svc = await service({ EARSHOT_MAX_ATTEMPTS: 3 }, { failFirst: 1_000_000 });
    const task = await svc.upload(short);
    const events = await svc.taskEvents(task.id);
    const end = await events.waitFor((e) => e.event === 'error', 60_000, 'the error event');

    const failed = taskOf(end);
    expect(failed.status).toBe('failed');
    expect(failed.attempts).toBe(3);
    expect(failed.error?.code).toBe('engine_failed');
    expect(failed.error?.message).toMatch(/injected fault/);
    expect(failed.finished_at).not.toBeNull();
    expect(await svc.task(task.id)).toMatchObject({ status: 'failed', attempts: 3, error: failed.error });

    const log = await eventLog(svc, task.id);
    expect(log.filter((e) => e.type === 'retrying')).toHaveLength(2);
    expect(claims(log)).toHaveLength(3);
    const res = await svc.request(`/v1/tasks/${task.id}/transcript`);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_ready');
    events.close();
  });

  it('an attempt over its time budget is aborted with time_budget_exceeded and retried', async () => {
    // Budget: 1 s whatever the duration. Each engine call would take 10 minutes, past the test's
    // own timeout: the task can only end in time if the budget aborts both attempts.
    const svc = await service(
      { EARSHOT_TIME_BUDGET_BASE_SECONDS: 1, EARSHOT_TIME_BUDGET_FACTOR: 0, EARSHOT_MAX_ATTEMPTS: 2 },
      { delayMs: 600_000 },
    );
    const task = await svc.upload(short);
    const failed = await svc.waitForStatus(task.id, 'failed');
    expect(failed.attempts).toBe(2);
    expect(failed.error?.code).toBe('time_budget_exceeded');
    expect(failed.error?.message).toMatch(/time budget of 1 s/);

    const log = await eventLog(svc, task.id);
    const retrying = log.filter((e) => e.type === 'retrying');
    expect(retrying.map((e) => e.data.errorCode)).toEqual(['time_budget_exceeded']);
    const [first, second] = claims(log);
    expect(claims(log)).toHaveLength(2);
    // The first attempt ran for its whole budget before it was stopped.
    const attemptMs = (retrying[0]?.createdAt as number) - (first?.createdAt as number);
    expect(attemptMs).toBeGreaterThanOrEqual(1000);
    expect(second?.createdAt).toBeGreaterThan(retrying[0]?.createdAt as number);
    // The worker survived both aborts and is ready for more.
    const [worker] = await svc.waitForWorkers(([w]) => w?.state === 'idle');
    expect(worker?.restarts).toBe(0);
  });

  it('a full queue answers 429 queue_full with Retry-After; resuming the paused workers drains it', async () => {
    const svc = await service({ EARSHOT_MAX_QUEUED: 2 });
    expect(await svc.json('/v1/admin/pause', { method: 'POST' }, 'root')).toEqual({ paused: true });
    const a = await svc.upload(short);
    const b = await svc.upload(short);

    // Had a paused worker claimed one of them, the queue would not be full.
    const res = await svc.uploadRaw(short);
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter > 0).toBe(true);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('queue_full');
    expect(body.error.message).toMatch(/queue is full/);
    const list = await svc.json<{ total: number; counts: Record<string, number> }>('/v1/tasks');
    expect(list.total).toBe(2);
    expect(list.counts.queued).toBe(2);
    expect(await svc.json('/v1/admin/workers', {}, 'root')).toMatchObject({ paused: true });

    expect(await svc.json('/v1/admin/resume', { method: 'POST' }, 'root')).toEqual({ paused: false });
    await svc.waitForStatus(a.id, 'succeeded');
    await svc.waitForStatus(b.id, 'succeeded');
    const c = await svc.upload(short);
    expect(c.status).toBe('queued');
  });
});
