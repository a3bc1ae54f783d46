import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkerRunState } from '../../src/core/worker-registration.js';
import { SqliteTaskStore } from '../../src/store/sqlite/sqlite.store.js';
import type { TaskStore } from '../../src/store/task.store.js';
import { WorkerPresence } from '../../src/worker/worker-presence.js';
import { until } from '../api/support.js';

const REG = { id: 'w1', host: 'box', pid: 1, engine: 'pocketsphinx', slots: 2, version: '0.1.0', leaseMs: 60_000 };

let dir: string;
let store: TaskStore;
beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'earshot-presence-'));
  store = new SqliteTaskStore(path.join(dir, 'earshot.db'));
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function presence(taskIds: string[], states: WorkerRunState[]): WorkerPresence {
  return new WorkerPresence({
    store,
    registration: REG,
    intervalMs: 30,
    log: pino({ level: 'silent' }),
    taskIds: () => taskIds,
    onState: (s) => states.push(s),
  });
}

describe('WorkerPresence', () => {
  it('registers, reports its tasks, passes on the drain flag and deregisters on stop', async () => {
    const tasks: string[] = [];
    const states: WorkerRunState[] = [];
    const p = presence(tasks, states);
    await p.start();
    expect(await store.listWorkers(10)).toMatchObject([{ id: 'w1', taskIds: [], state: 'running' }]);
    tasks.push('t1');
    await until(async () => (await store.listWorkers(10))[0]?.taskIds[0] === 't1', 10_000);
    await store.setWorkerState('w1', 'draining');
    await until(() => states.at(-1) === 'draining', 10_000);
    await p.stop();
    expect(await store.listWorkers(10)).toEqual([]);
  });

  it('registers again when its row vanished (pruned while the process was stalled)', async () => {
    const states: WorkerRunState[] = [];
    const p = presence(['t9'], states);
    await p.start();
    await store.deregisterWorker('w1');
    const back = await until(async () => (await store.listWorkers(10))[0], 10_000);
    expect(back).toMatchObject({ id: 'w1', state: 'running' });
    await until(async () => (await store.listWorkers(10))[0]?.taskIds[0] === 't9', 10_000);
    await p.stop();
  });
});
