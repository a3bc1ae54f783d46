import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TaskView } from '../../../src/api/schemas/task.schema.js';
import type { TaskStatus } from '../../../src/core/task.js';
import { createStore } from '../../../src/store/create-store.js';
import type { TaskStore } from '../../../src/store/task.store.js';
import { EventStream } from './event-stream.js';
import type { ServiceOptions, TranscriptJson, User, WorkerView } from './options.js';
import { ServerProcess } from './server-process.js';

/**
 * Starts a service in a fresh temp data directory (inside the host's, on a host) with users `alice`
 * (user) and `root` (admin).
 */
export async function startService(opts: ServiceOptions = {}): Promise<Service> {
  const dataDir = await mkdtemp(path.join(opts.host?.dataDir ?? os.tmpdir(), 'earshot-e2e-'));
  const service = new Service(dataDir, opts);
  try {
    await service.createUsers();
    await service.start();
  } catch (err) {
    await service.stop();
    throw err;
  }
  return service;
}

/**
 * One installation: a data directory and the server process currently running on it. `restart()`
 * starts a new server on the same directory (a new port, so read `url` again afterwards). The
 * process side (start, restart, kill, stop, logs, `until`) is in ServerProcess; this adds the API.
 */
export class Service extends ServerProcess {
  /**
   * Starts another server on this data directory and store, with the same users (two API servers
   * behind a load balancer, say). Its stop() leaves the directory to this service. On another host it
   * gets a data directory of its own there instead (nothing shared but the store).
   */
  async sibling(opts: ServiceOptions = {}): Promise<Service> {
    const dataDir = opts.host ? await mkdtemp(path.join(opts.host.dataDir, 'earshot-e2e-')) : this.dataDir;
    const other = new Service(dataDir, opts, opts.host !== undefined);
    Object.assign(other.tokens, this.tokens);
    try {
      await other.start();
    } catch (err) {
      await other.stop();
      throw err;
    }
    return other;
  }

  // --- HTTP ---

  /** A request with `user`'s token. */
  request(pathname: string, init: RequestInit = {}, user: User = 'alice'): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.tokens[user]}`);
    return fetch(`${this.url}${pathname}`, { ...init, headers });
  }

  /** A request whose answer must be `expectStatus` (default 200); returns the parsed body. */
  async json<T>(pathname: string, init: RequestInit = {}, user: User = 'alice', expectStatus = 200): Promise<T> {
    const res = await this.request(pathname, init, user);
    const body = await res.text();
    if (res.status !== expectStatus) {
      throw new Error(`${init.method ?? 'GET'} ${pathname}: expected ${expectStatus}, got ${res.status}: ${body}`);
    }
    return JSON.parse(body) as T;
  }

  /** Uploads `file` as multipart (fields first, as the API requires); returns the raw response. */
  async uploadRaw(file: string, fields: Record<string, string> = {}, user: User = 'alice'): Promise<Response> {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([await readFile(file)]), path.basename(file));
    return this.request('/v1/tasks', { method: 'POST', body: form }, user);
  }

  /** Uploads `file` and expects 202; returns the created task. */
  async upload(file: string, fields: Record<string, string> = {}, user: User = 'alice'): Promise<TaskView> {
    const res = await this.uploadRaw(file, fields, user);
    const body = await res.text();
    if (res.status !== 202) throw new Error(`upload of ${file}: expected 202, got ${res.status}: ${body}`);
    return JSON.parse(body) as TaskView;
  }

  task(id: string): Promise<TaskView> {
    return this.json<TaskView>(`/v1/tasks/${id}`);
  }

  /** The finished transcript (JSON), or with `partial` the contiguous finished prefix. */
  transcript(id: string, opts: { partial?: boolean } = {}): Promise<TranscriptJson> {
    return this.json<TranscriptJson>(`/v1/tasks/${id}/transcript?format=json${opts.partial ? '&partial=true' : ''}`);
  }

  /** This server's supervised worker processes (the `supervised` list of GET /v1/admin/workers). */
  async workers(): Promise<WorkerView[]> {
    return (await this.json<{ supervised: WorkerView[] }>('/v1/admin/workers', {}, 'root')).supervised;
  }

  /** Pids of the worker processes running now. */
  async workerPids(): Promise<number[]> {
    return (await this.workers()).map((w) => w.pid).filter((p): p is number => p !== null);
  }

  async waitForWorkers(pred: (ws: WorkerView[]) => boolean, timeoutMs = 60_000): Promise<WorkerView[]> {
    let last: WorkerView[] = [];
    await this.until(
      () => `workers to match (last: ${JSON.stringify(last)})`,
      async () => {
        last = await this.workers();
        return pred(last);
      },
      { timeoutMs },
    );
    return last;
  }

  /** Polls GET /v1/tasks/:id until `pred` holds; fails with the last state and the log tail at the deadline. */
  async waitForTask(id: string, pred: (t: TaskView) => boolean, timeoutMs = 60_000): Promise<TaskView> {
    let last: TaskView | null = null;
    await this.until(
      () => `task ${id} to match (last: ${JSON.stringify(last)})`,
      async () => {
        last = await this.task(id);
        return pred(last);
      },
      { timeoutMs },
    );
    return last as unknown as TaskView;
  }

  /**
   * Waits for `status`; failing fast when the task reaches a different end state (a failed task
   * will not succeed later).
   */
  async waitForStatus(id: string, status: TaskStatus, timeoutMs = 60_000): Promise<TaskView> {
    const ends: TaskStatus[] = ['succeeded', 'failed', 'cancelled'];
    const task = await this.waitForTask(id, (t) => t.status === status || ends.includes(t.status), timeoutMs);
    if (task.status !== status) {
      throw new Error(`task ${id} ended ${task.status}, expected ${status}: ${JSON.stringify(task)}\n${this.tail()}`);
    }
    return task;
  }

  /** Server-Sent Events of one task (`Accept: text/event-stream`). */
  taskEvents(id: string, opts: { lastEventId?: number } = {}): Promise<EventStream> {
    return EventStream.open(`${this.url}/v1/tasks/${id}/events`, this.tokens.alice, opts.lastEventId);
  }

  // --- the store, read directly (for what the API does not show, such as checkpoints) ---

  /** Opens the service's store (SQLite file or PostgreSQL), runs `fn` (reads only) and closes it again. */
  async readStore<T>(fn: (store: TaskStore) => Promise<T>): Promise<T> {
    const store = createStore(this.storeUrl, { poolSize: 1 });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }
}
