import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { SupervisorView, WorkerInfo } from '../../src/worker/supervisor.types.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { call, type Json, json, until, upload, work } from './support.js';

let s: TestServer;
afterEach(async () => {
  await s?.close();
});

/** A stand-in for the worker supervisor: the API only reads and toggles it. */
class FakeSupervisor implements SupervisorView {
  paused = false;
  restartCount = 2;
  workers(): WorkerInfo[] {
    return [
      { id: 'w1', pid: 4242, state: 'busy', taskIds: ['t1', 't3'], restarts: 2, startedAt: Date.UTC(2025, 0, 1) },
      { id: 'w2', pid: null, state: 'restarting', taskIds: [], restarts: 0, startedAt: null },
    ];
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
}

describe('operational endpoints', () => {
  it('/health is ok without auth and without the store', async () => {
    s = await startServer();
    await s.store.close(); // health must not care
    const res = await fetch(`${s.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', auth: 'token' });
  });

  it('/ready is 200 while the store answers and 503 when it does not', async () => {
    s = await startServer();
    const ok = await fetch(`${s.url}/ready`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ready' });
    await s.store.close();
    const down = await fetch(`${s.url}/ready`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as Json).error.code).toBe('unavailable');
  });

  it('/metrics exposes queue depth, durations, failures, retries, restarts and process metrics', async () => {
    s = await startServer({ supervisor: new FakeSupervisor() });
    const a = await upload(s, 'alice');
    const b = await upload(s, 'alice');
    await upload(s, 'alice');
    await work(s.store, a.id);
    const wid = await work(s.store, b.id, 'claimed');
    await s.store.fail(b.id, wid, { code: 'bad_audio', message: 'x', retryable: false });
    const metrics = async (): Promise<string> => (await fetch(`${s.url}/metrics`)).text();
    // The hub reads the row after the event: let it see the failure before the retry resets the row.
    await until(async () => /earshot_task_failures_total\{code="bad_audio"\} 1/.test(await metrics()));
    await call(s, 'POST', `/v1/tasks/${b.id}/retry`, { token: s.tokens.alice });
    const text = await until(async () => {
      const body = await metrics();
      return /earshot_task_retries_total 1/.test(body) && body;
    });
    expect(text).toMatch(/earshot_tasks\{status="queued"\} 2/);
    expect(text).toMatch(/earshot_tasks\{status="succeeded"\} 1/);
    expect(text).toMatch(/earshot_task_duration_seconds_count\{outcome="succeeded"\} 1/);
    expect(text).toMatch(/earshot_task_duration_seconds_count\{outcome="failed"\} 1/);
    expect(text).toMatch(/earshot_task_failures_total\{code="bad_audio"\} 1/);
    expect(text).toMatch(/earshot_worker_restarts_total 2/);
    expect(text).toMatch(/earshot_workers\{state="busy"\} 1/);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+/m);
  });

  it('/openapi.json is a valid OpenAPI 3 document listing every route', async () => {
    s = await startServer();
    const res = await fetch(`${s.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Json;
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBeTruthy();
    const routes = Object.entries(doc.paths as Record<string, Json>).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /v1/tasks',
        'GET /v1/tasks',
        'GET /v1/tasks/{id}',
        'GET /v1/tasks/{id}/transcript',
        'GET /v1/tasks/{id}/media',
        'POST /v1/tasks/{id}/cancel',
        'POST /v1/tasks/{id}/retry',
        'DELETE /v1/tasks/{id}',
        'GET /v1/tasks/{id}/events',
        'GET /v1/events',
        'GET /v1/capabilities',
        'POST /v1/audio/transcriptions',
        'POST /v1/audio/translations',
        'GET /v1/models',
        'GET /v1/models/{model}',
        'GET /v1/admin/workers',
        'POST /v1/admin/workers/{id}/drain',
        'POST /v1/admin/workers/{id}/undrain',
        'POST /v1/admin/pause',
        'POST /v1/admin/resume',
        'GET /health',
        'GET /ready',
        'GET /metrics',
      ]),
    );
    const create = doc.paths['/v1/tasks'].post;
    expect(Object.keys(create.requestBody.content).sort()).toEqual(['application/json', 'multipart/form-data']);
    expect(create.responses).toHaveProperty('202');
    expect(create.responses).toHaveProperty('429');
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    // Every $ref resolves inside the document.
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) {
      const pointer = ref.slice(8, -1);
      expect(pointer.startsWith('#/')).toBe(true);
      let node: unknown = doc;
      for (const part of pointer.slice(2).split('/')) node = (node as Json)[part];
      expect(node, pointer).toBeDefined();
    }
  });

  it('unknown routes are 404 not_found in the error shape', async () => {
    s = await startServer();
    const res = await fetch(`${s.url}/v2/nothing`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as Json).error.code).toBe('not_found');
  });
});

describe('web UI', () => {
  it('serves the built UI at / next to the API, and unknown paths stay JSON 404s', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'earshot-web-'));
    await mkdir(path.join(root, 'assets'));
    await writeFile(path.join(root, 'index.html'), '<!doctype html><title>Earshot</title>');
    await writeFile(path.join(root, 'assets', 'app-1234.js'), 'console.log(1)');
    try {
      s = await startServer({ webRoot: root });
      const index = await fetch(`${s.url}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await index.text()).toContain('<title>Earshot</title>');
      const asset = await fetch(`${s.url}/assets/app-1234.js`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toContain('immutable');
      expect((await fetch(`${s.url}/v1/tasks`)).status).toBe(401);
      const missing = await fetch(`${s.url}/assets/nope.js`);
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as Json).error.code).toBe('not_found');
      expect((await fetch(`${s.url}/../../etc/passwd`)).status).toBe(404);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('admin', () => {
  it('lists workers and pauses/resumes through the supervisor', async () => {
    const sup = new FakeSupervisor();
    s = await startServer({ supervisor: sup });
    const res = await call(s, 'GET', '/v1/admin/workers', { token: s.tokens.root });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      paused: false,
      lease_ms: s.config.leaseMs,
      workers: [],
      supervised: [
        {
          id: 'w1',
          worker_id: null,
          pid: 4242,
          state: 'busy',
          draining: false,
          task_ids: ['t1', 't3'],
          task_id: 't1',
          restarts: 2,
          started_at: '2025-01-01T00:00:00.000Z',
          live_sessions: 0,
        },
        {
          id: 'w2',
          worker_id: null,
          pid: null,
          state: 'restarting',
          draining: false,
          task_ids: [],
          task_id: null,
          restarts: 0,
          started_at: null,
          live_sessions: 0,
        },
      ],
    });
    expect(await json(await call(s, 'POST', '/v1/admin/pause', { token: s.tokens.root }))).toEqual({ paused: true });
    expect(sup.paused).toBe(true);
    expect(await json(await call(s, 'POST', '/v1/admin/resume', { token: s.tokens.root }))).toEqual({ paused: false });
    expect(sup.paused).toBe(false);
  });

  it('lists the registry without a supervisor; pause answers 503 then', async () => {
    s = await startServer();
    const res = await call(s, 'GET', '/v1/admin/workers', { token: s.tokens.root });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ paused: null, lease_ms: s.config.leaseMs, workers: [], supervised: [] });
    const pause = await call(s, 'POST', '/v1/admin/pause', { token: s.tokens.root });
    expect(pause.status).toBe(503);
    expect(((await pause.json()) as Json).error.code).toBe('unavailable');
  });

  it('lists registered workers with their age and stale flag, and drains and undrains them', async () => {
    s = await startServer();
    const reg = { host: 'box-a', pid: 7, engine: 'pocketsphinx', slots: 2, version: '0.1.0', leaseMs: 60_000 };
    await s.store.registerWorker({ ...reg, id: 'alive' });
    await s.store.registerWorker({ ...reg, id: 'dead', host: 'box-b', leaseMs: 1000 });
    await s.store.heartbeatWorker('alive', ['t1']);
    await until(async () => (await s.store.listWorkers(10)).some((w) => w.stale));
    const body = (await json(await call(s, 'GET', '/v1/admin/workers', { token: s.tokens.root }))) as Json;
    expect(body.workers.map((w: Json) => [w.id, w.host, w.stale, w.state, w.task_ids])).toEqual([
      ['alive', 'box-a', false, 'running', ['t1']],
      ['dead', 'box-b', true, 'running', []],
    ]);
    expect(body.workers[1].heartbeat_age_ms).toBeGreaterThanOrEqual(1000);
    expect(body.workers[0]).toMatchObject({ pid: 7, engine: 'pocketsphinx', slots: 2, version: '0.1.0' });
    const drained = await call(s, 'POST', '/v1/admin/workers/alive/drain', { token: s.tokens.root });
    expect(drained.status).toBe(200);
    expect(await json(drained)).toMatchObject({ id: 'alive', state: 'draining' });
    expect(await s.store.heartbeatWorker('alive', [])).toBe('draining');
    const undrained = await call(s, 'POST', '/v1/admin/workers/alive/undrain', { token: s.tokens.root });
    expect(await json(undrained)).toMatchObject({ id: 'alive', state: 'running' });
    const missing = await call(s, 'POST', '/v1/admin/workers/nobody/drain', { token: s.tokens.root });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as Json).error.code).toBe('not_found');
  });
});

describe('EARSHOT_AUTH=none', () => {
  it('acts as the built-in local admin without a token', async () => {
    s = await startServer({ config: { auth: 'none' }, users: [{ name: 'alice' }] });
    const users = await s.store.listUsers();
    expect(users.find((u) => u.name === 'local')).toMatchObject({ role: 'admin' });
    const t = await upload(s, 'alice'); // the token is ignored: every request is `local`
    const list = (await json(await call(s, 'GET', '/v1/tasks'))) as Json;
    expect(list.tasks.map((x: Json) => x.id)).toEqual([t.id]);
    expect((await call(s, 'POST', '/v1/admin/pause')).status).toBe(503); // admin, but no supervisor
    // Restarting reuses the same user.
    await s.app.close();
    const again = buildApp({ config: s.config, store: s.store, log: pino({ level: 'silent' }) });
    await again.ready();
    expect((await s.store.listUsers()).filter((u) => u.name === 'local')).toHaveLength(1);
    await again.close();
  });

  it('is refused unless the host is loopback', () => {
    const log = pino({ level: 'silent' });
    for (const host of ['0.0.0.0', '192.168.1.5', '::', 'example.com']) {
      const config = loadConfig({ auth: 'none', host, dataDir: '/tmp/unused' }, {});
      expect(() => buildApp({ config, store: {} as never, log }), host).toThrow(/EARSHOT_AUTH=none/);
    }
    for (const host of ['127.0.0.1', '::1', 'localhost', '127.0.0.2']) {
      const config = loadConfig({ auth: 'none', host, dataDir: '/tmp/unused' }, {});
      expect(() => buildApp({ config, store: {} as never, log }), host).not.toThrow();
    }
  });
});
