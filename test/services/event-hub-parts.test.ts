import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskEvent } from '../../src/core/event.js';
import { EventLogPruner } from '../../src/services/events/event-log-pruner.js';
import { TaskEndWaiters } from '../../src/services/events/task-end-waiters.js';
import { SqliteTaskStore } from '../../src/store/sqlite/sqlite.store.js';
import type { TaskStore } from '../../src/store/task.store.js';
import { until } from '../api/support.js';
import { FakeClock, newTask } from '../store/conformance/fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'earshot-hub-parts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = pino({ level: 'silent' });

let store: TaskStore;
let clock: FakeClock;
let n = 0;
beforeEach(async () => {
  clock = new FakeClock();
  store = new SqliteTaskStore(path.join(dir, `${n++}.db`), { now: clock.now });
  await store.migrate();
});
afterEach(async () => {
  await store.close();
});

describe('EventLogPruner', () => {
  it('drops events past the retention and beyond the newest keepEvents, on its own timer', async () => {
    // The fake clock stamps these years before the real now: past any retention.
    for (let i = 0; i < 3; i++) await store.enqueue(newTask(), 100);
    clock.t = Date.now();
    for (let i = 0; i < 4; i++) await store.enqueue(newTask(), 100);
    const newest = (await store.readEvents(0, 100)).slice(-3);
    const pruner = new EventLogPruner(store, log, { retentionMs: 60 * 60_000, everyMs: 10, keepEvents: 3 });
    pruner.start();
    await until(async () => (await store.readEvents(0, 100)).length === 3);
    await pruner.stop();
    expect(await store.readEvents(0, 100)).toEqual(newest);
  });

  it('keeps events inside the retention', async () => {
    clock.t = Date.now();
    for (let i = 0; i < 3; i++) await store.enqueue(newTask(), 100);
    let prunes = 0;
    const counting = new Proxy(store, {
      get(target, prop) {
        if (prop === 'pruneEvents') {
          return (olderThan: number, keep: number) => {
            prunes++;
            return target.pruneEvents(olderThan, keep);
          };
        }
        const value: unknown = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const pruner = new EventLogPruner(counting, log, { retentionMs: 60 * 60_000, everyMs: 10, keepEvents: 100 });
    pruner.start();
    await until(() => prunes >= 2);
    await pruner.stop();
    expect(await store.readEvents(0, 100)).toHaveLength(3);
  });
});

describe('TaskEndWaiters', () => {
  const meta = (taskId: string) => ({ seq: 1, taskId, userId: 'alice', createdAt: 0 });
  const progress = (taskId: string): TaskEvent => ({
    ...meta(taskId),
    type: 'progress',
    data: { status: 'processing', stage: 'decoding', doneSeconds: 0, durationSeconds: 1, speed: null, attempts: 1 },
  });
  const done = (taskId: string): TaskEvent => ({
    ...meta(taskId),
    type: 'done',
    data: { status: 'succeeded', stage: 'done', doneSeconds: 1, durationSeconds: 1 },
  });

  it('answers with the event that ends the task, and only such events', async () => {
    const task = await store.enqueue(newTask(), 100);
    const waiters = new TaskEndWaiters(store, 10);
    const outcome = waiters.wait(task.id, 60_000);
    await until(() => waiters.count === 1);
    waiters.onEvent(progress(task.id));
    waiters.onEvent(done('another-task'));
    expect(waiters.count).toBe(1);
    waiters.onEvent(done(task.id));
    expect(await outcome).toBe('done');
    expect(waiters.count).toBe(0);
  });

  it('sees an end that happened before the wait, and a task that is gone', async () => {
    const task = await store.enqueue(newTask(), 100);
    await store.cancel(task.id, { admin: true });
    const waiters = new TaskEndWaiters(store, 10);
    expect(await waiters.wait(task.id, 60_000)).toBe('cancelled');
    expect(await waiters.wait('no-such-task', 60_000)).toBe('deleted');
    expect(waiters.count).toBe(0);
  });

  it('is bounded, times out, stops when aborted, and answers everyone at shutdown', async () => {
    const task = await store.enqueue(newTask(), 100);
    const waiters = new TaskEndWaiters(store, 2);
    const ac = new AbortController();
    const aborted = waiters.wait(task.id, 60_000, ac.signal);
    const shutdown = waiters.wait(task.id, 60_000);
    expect(await waiters.wait(task.id, 60_000)).toBe('busy');
    ac.abort();
    expect(await aborted).toBe('aborted');
    expect(await waiters.wait(task.id, 1)).toBe('timeout');
    waiters.closeAll();
    expect(await shutdown).toBe('shutdown');
    expect(await waiters.wait(task.id, 60_000)).toBe('shutdown');
    expect(waiters.count).toBe(0);
  });
});
