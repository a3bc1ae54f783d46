import { describe, expect, it } from 'vitest';
import type { WorkerRegistration } from '../../../src/core/worker-registration.js';
import type { ConformanceContext } from './context.js';

const REG_LEASE = 2_000;

function worker(id: string, overrides: Partial<WorkerRegistration> = {}): WorkerRegistration {
  return {
    id,
    host: 'box-a',
    pid: 4242,
    engine: 'pocketsphinx',
    slots: 4,
    version: '0.1.0',
    leaseMs: REG_LEASE,
    ...overrides,
  };
}

/** The worker registry: register, heartbeat, stale marking, drain flag, deregister, prune. */
export function workerRegistryConformance(ctx: ConformanceContext): void {
  describe('worker registry', () => {
    it('registers a worker as running with no tasks, its lease starting now', async () => {
      const { store, clock } = ctx;
      const w = await store.registerWorker(worker('w1'));
      expect(w).toEqual({
        id: 'w1',
        host: 'box-a',
        pid: 4242,
        engine: 'pocketsphinx',
        slots: 4,
        version: '0.1.0',
        taskIds: [],
        state: 'running',
        startedAt: clock.t,
        heartbeatAt: clock.t,
        expiresAt: clock.t + REG_LEASE,
        stale: false,
      });
      expect(await store.listWorkers(10)).toEqual([w]);
    });

    it('a heartbeat records the tasks and renews the lease; a silent worker turns stale after its lease', async () => {
      const { store, clock } = ctx;
      await store.registerWorker(worker('w1'));
      await store.registerWorker(worker('w2', { host: 'box-b', leaseMs: 10_000 }));
      clock.advance(1_500);
      expect(await store.heartbeatWorker('w1', ['t1', 't2'])).toBe('running');
      clock.advance(1_500);
      const [w1] = await store.listWorkers(10);
      expect(w1).toMatchObject({ id: 'w1', taskIds: ['t1', 't2'], heartbeatAt: clock.t - 1_500, stale: false });
      clock.advance(REG_LEASE);
      const list = await store.listWorkers(10);
      expect(list.map((w) => [w.id, w.stale])).toEqual([
        ['w1', true],
        ['w2', false], // its own, longer lease
      ]);
      // A heartbeat after the lease ran out makes it fresh again (the process was only slow).
      expect(await store.heartbeatWorker('w1', [])).toBe('running');
      expect((await store.listWorkers(10))[0]).toMatchObject({ id: 'w1', taskIds: [], stale: false });
    });

    it('lists by host then start time, at most `limit`', async () => {
      const { store, clock } = ctx;
      await store.registerWorker(worker('b1', { host: 'b' }));
      clock.advance(1);
      await store.registerWorker(worker('a2', { host: 'a' }));
      clock.advance(1);
      await store.registerWorker(worker('a1', { host: 'a' }));
      expect((await store.listWorkers(10)).map((w) => w.id)).toEqual(['a2', 'a1', 'b1']);
      expect((await store.listWorkers(2)).map((w) => w.id)).toEqual(['a2', 'a1']);
    });

    it('the drain flag is seen at the next heartbeat and can be lifted; unknown ids are null', async () => {
      const { store } = ctx;
      await store.registerWorker(worker('w1'));
      expect(await store.setWorkerState('w1', 'draining')).toMatchObject({ id: 'w1', state: 'draining' });
      expect(await store.heartbeatWorker('w1', ['t1'])).toBe('draining');
      expect(await store.setWorkerState('w1', 'running')).toMatchObject({ state: 'running', taskIds: ['t1'] });
      expect(await store.heartbeatWorker('w1', [])).toBe('running');
      expect(await store.setWorkerState('missing', 'draining')).toBeNull();
    });

    it('registering again under the same id replaces the old row (a new process starts running)', async () => {
      const { store, clock } = ctx;
      await store.registerWorker(worker('w1', { pid: 1 }));
      await store.heartbeatWorker('w1', ['t1']);
      await store.setWorkerState('w1', 'draining');
      clock.advance(50_000);
      const again = await store.registerWorker(worker('w1', { pid: 2, version: '0.2.0' }));
      expect(again).toMatchObject({ pid: 2, version: '0.2.0', taskIds: [], state: 'running', startedAt: clock.t });
      expect(await store.listWorkers(10)).toHaveLength(1);
    });

    it('deregister removes the row; a heartbeat then answers null so the worker registers again', async () => {
      const { store } = ctx;
      await store.registerWorker(worker('w1'));
      expect(await store.deregisterWorker('w1')).toBe(true);
      expect(await store.deregisterWorker('w1')).toBe(false);
      expect(await store.heartbeatWorker('w1', [])).toBeNull();
      expect(await store.listWorkers(10)).toEqual([]);
    });

    it('prune removes rows whose lease expired before the cut-off and keeps the rest', async () => {
      const { store, clock } = ctx;
      await store.registerWorker(worker('dead'));
      clock.advance(REG_LEASE * 5);
      await store.registerWorker(worker('alive'));
      const cutoff = clock.t - REG_LEASE; // 'dead' expired 4 leases ago
      expect(await store.pruneWorkers(cutoff)).toBe(1);
      expect((await store.listWorkers(10)).map((w) => w.id)).toEqual(['alive']);
      expect(await store.pruneWorkers(cutoff)).toBe(0);
    });
  });
}
