/**
 * The real service as separate OS processes: `node bin/earshot.js serve` (built CLI; `npm run build`
 * first) on a free loopback port with its own temp data directory and environment, its supervised
 * worker processes and their engine processes. Tests kill these processes for real and restart the
 * server on the same data directory. Every wait polls a condition with a deadline; none is a fixed sleep.
 *
 * Set EARSHOT_TEST_LOG=1 to copy the service's log lines to the test's stderr.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskView } from '../../src/api/schemas/task.schema.js';
import type { TaskStatus } from '../../src/core/task.js';
import type { Transcript } from '../../src/core/transcript.js';
import type { FaultConfig } from '../../src/engines/faulty/faulty.engine.js';
import { createStore } from '../../src/store/create-store.js';
import type { TaskStore } from '../../src/store/task.store.js';
import { CLI, runCli } from './cli.js';

export type { TaskView };

/** Settings every e2e service starts with: short leases and backoffs so recovery is quick to observe. */
export const E2E_ENV: Readonly<Record<string, string>> = {
  EARSHOT_HOST: '127.0.0.1',
  EARSHOT_PORT: '0',
  EARSHOT_WORKERS: '1',
  EARSHOT_CONCURRENCY: '2',
  EARSHOT_LEASE_MS: '3000',
  EARSHOT_HEARTBEAT_MS: '500',
  EARSHOT_RETRY_DELAYS_MS: '200,200,200',
  EARSHOT_SHUTDOWN_GRACE_MS: '1000',
  EARSHOT_SSE_HEARTBEAT_MS: '1000',
  EARSHOT_LOG_LEVEL: 'info',
  EARSHOT_LOG_FORMAT: 'json',
};

export interface ServiceOptions {
  /** EARSHOT_* variables on top of E2E_ENV (numbers are stringified). */
  env?: Record<string, string | number>;
  /** Faults the workers' engines inject (EARSHOT_TEST_FAULTS); results still come from PocketSphinx. */
  faults?: FaultConfig;
  /** Wait at start until every worker has loaded its engines and reports idle (default true when workers > 0). */
  waitForWorkers?: boolean;
}

export interface WorkerView {
  id: string;
  pid: number | null;
  state: 'starting' | 'idle' | 'busy' | 'restarting' | 'stopping' | 'stopped';
  task_id: string | null;
  restarts: number;
  started_at: string | null;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The JSON transcript as served (`partial` only on unfinished ones). */
export type TranscriptJson = Transcript;

export type User = 'alice' | 'root';

const STARTUP_TIMEOUT_MS = 30_000;
const LOG_KEEP_CHARS = 400_000;

/**
 * Environment overrides for a CLI run (`runCli` starts from process.env): the machine's own EARSHOT_*
 * variables are blanked (an empty value counts as unset), so only `extra` configures the run.
 */
export function isolatedCliEnv(extra: Record<string, string> = {}): Record<string, string> {
  const blank = Object.fromEntries(
    Object.keys(process.env)
      .filter((k) => k.startsWith('EARSHOT_'))
      .map((k) => [k, '']),
  );
  return { ...blank, EARSHOT_LOG_FORMAT: 'json', ...extra };
}

/** Starts a service in a fresh temp data directory with users `alice` (user) and `root` (admin). */
export async function startService(opts: ServiceOptions = {}): Promise<Service> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'earshot-e2e-'));
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
 * starts a new server on the same directory (a new port, so read `url` again afterwards).
 */
export class Service {
  readonly tokens: Record<User, string> = { alice: '', root: '' };
  private child: ChildProcess | null = null;
  private exit: Promise<ExitInfo> | null = null;
  private baseUrl = '';
  private log = '';
  /** Every process group this service started; all of them are killed by stop(). */
  private readonly groups = new Set<number>();
  private readonly env: Record<string, string>;

  constructor(
    readonly dataDir: string,
    private readonly opts: ServiceOptions,
  ) {
    // The machine's own EARSHOT_* variables must not leak into a test service.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EARSHOT_')));
    const extra = Object.fromEntries(Object.entries(opts.env ?? {}).map(([k, v]) => [k, String(v)]));
    this.env = {
      ...(inherited as Record<string, string>),
      ...E2E_ENV,
      ...extra,
      EARSHOT_DATA_DIR: dataDir,
      ...(opts.faults ? { EARSHOT_TEST_FAULTS: JSON.stringify(opts.faults) } : {}),
    };
  }

  get url(): string {
    if (this.baseUrl === '') throw new Error('the service is not running');
    return this.baseUrl;
  }

  /** The server process id (the current one, after a restart). */
  get pid(): number {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error('the service is not running');
    return pid;
  }

  get dbPath(): string {
    return path.join(this.dataDir, 'earshot.db');
  }

  /** Resolves when the current server process exits. */
  get exited(): Promise<ExitInfo> {
    if (this.exit === null) throw new Error('the service was never started');
    return this.exit;
  }

  /** Everything the server and its workers logged so far (the tail, for failure messages). */
  output(): string {
    return this.log;
  }

  /** Log records (JSON lines) matching `pred`. */
  logRecords(pred: (r: Record<string, unknown>) => boolean = () => true): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of this.log.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const r = JSON.parse(line) as Record<string, unknown>;
        if (pred(r)) out.push(r);
      } catch {
        // a line cut by the log tail limit
      }
    }
    return out;
  }

  /** @internal Creates the users through the CLI, as an operator would. */
  async createUsers(): Promise<void> {
    const add = async (name: User, admin: boolean) => {
      const args = ['users', 'add', name, ...(admin ? ['--admin'] : []), '--data-dir', this.dataDir];
      const r = await runCli(args, isolatedCliEnv({ EARSHOT_LOG_LEVEL: 'error' }));
      const token = r.stdout.trim().split(/\s+/).pop();
      if (r.code !== 0 || !token) throw new Error(`users add ${name} failed (${r.code}): ${r.stderr}`);
      this.tokens[name] = token;
    };
    // At once: both migrate the new database, which is safe from several processes.
    await Promise.all([add('root', true), add('alice', false)]);
  }

  /** @internal Starts the server process and waits for /health (and for idle workers). */
  async start(): Promise<void> {
    if (this.child !== null) throw new Error('the service is already running');
    const child = spawn(process.execPath, [CLI, 'serve'], {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so cleanup can kill the server, its workers and their engines at once.
      detached: true,
    });
    if (child.pid === undefined) throw new Error('could not start the server');
    this.groups.add(child.pid);
    this.child = child;
    this.baseUrl = '';
    const listening = new Promise<string>((resolve) => {
      let pending = '';
      const onData = (buf: Buffer) => {
        const text = buf.toString('utf8');
        this.append(text);
        pending += text;
        let nl = pending.indexOf('\n');
        while (nl >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          const m = /"msg":"Server listening at (http:\/\/[^"]+)"/.exec(line);
          if (m?.[1]) resolve(m[1]);
          nl = pending.indexOf('\n');
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
    });
    this.exit = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const exitedEarly = this.exit.then((e): never => {
      throw new Error(`server exited (${e.code ?? e.signal}) before it was ready:\n${this.tail()}`);
    });
    const url = await within(
      Promise.race([listening, exitedEarly]),
      STARTUP_TIMEOUT_MS,
      () => `server not listening after ${STARTUP_TIMEOUT_MS} ms:\n${this.tail()}`,
    );
    this.baseUrl = url.replace('localhost', '127.0.0.1');
    await this.until('/health answers', async () => (await fetch(`${this.baseUrl}/health`)).ok, {
      timeoutMs: 10_000,
    });
    const workers = Number(this.env.EARSHOT_WORKERS);
    if (workers > 0 && this.opts.waitForWorkers !== false) {
      await this.waitForWorkers((ws) => ws.length === workers && ws.every((w) => w.state === 'idle'), 20_000);
    }
  }

  /** Starts a new server on the same data directory (the previous one must have exited). */
  async restart(): Promise<void> {
    if (this.child !== null) {
      if (this.child.exitCode === null && this.child.signalCode === null) {
        throw new Error('restart(): the server is still running; kill() it first');
      }
      this.child = null;
    }
    await this.start();
  }

  /** Sends `signal` to the server process only (not its workers) and waits for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 30_000): Promise<ExitInfo> {
    const child = this.child;
    if (child === null) throw new Error('the service is not running');
    const exit = this.exited;
    child.kill(signal);
    const result = await within(
      exit,
      timeoutMs,
      () => `server did not exit within ${timeoutMs} ms of ${signal}:\n${this.tail()}`,
    );
    this.child = null;
    this.baseUrl = '';
    return result;
  }

  /** Kills every process this service started (server, workers, engines) and removes the data directory. */
  async stop(): Promise<void> {
    for (const group of this.groups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // the whole group is gone already
      }
    }
    if (this.child !== null && this.exit !== null) await this.exit;
    this.child = null;
    this.baseUrl = '';
    await rm(this.dataDir, { recursive: true, force: true });
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

  async workers(): Promise<WorkerView[]> {
    return (await this.json<{ paused: boolean; workers: WorkerView[] }>('/v1/admin/workers', {}, 'root')).workers;
  }

  /** Pids of the worker processes running now. */
  async workerPids(): Promise<number[]> {
    return (await this.workers()).map((w) => w.pid).filter((p): p is number => p !== null);
  }

  async waitForWorkers(pred: (ws: WorkerView[]) => boolean, timeoutMs = 15_000): Promise<WorkerView[]> {
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

  /** Opens the SQLite store on the data directory, runs `fn` (reads only) and closes it again. */
  async readStore<T>(fn: (store: TaskStore) => Promise<T>): Promise<T> {
    const store = createStore(this.dbPath);
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  // --- internals ---

  /** Polls `check` every `intervalMs` until it is true; errors thrown by `check` count as false. */
  async until(
    what: string | (() => string),
    check: () => Promise<boolean>,
    opts: { timeoutMs: number; intervalMs?: number },
  ): Promise<void> {
    const deadline = Date.now() + opts.timeoutMs;
    let lastError: unknown = null;
    for (;;) {
      try {
        if (await check()) return;
        lastError = null;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() > deadline) {
        const label = typeof what === 'string' ? what : what();
        const cause = lastError === null ? '' : ` (last error: ${String(lastError)})`;
        throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${label}${cause}\n${this.tail()}`);
      }
      await sleep(opts.intervalMs ?? 100);
    }
  }

  private append(text: string): void {
    if (process.env.EARSHOT_TEST_LOG) process.stderr.write(text);
    this.log += text;
    if (this.log.length > LOG_KEEP_CHARS) this.log = this.log.slice(-LOG_KEEP_CHARS / 2);
  }

  private tail(): string {
    return `--- service log (tail) ---\n${this.log.slice(-6000)}`;
  }
}

/** `promise`, or a rejection with `message()` after `ms`; the timer never outlives the promise. */
async function within<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether a process with this pid is running. A zombie (exited, not yet reaped: an orphan whose new
 * parent is slow to reap) counts as gone.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/PID/stat: "pid (comm) S ..."; the state letter follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Direct children of a process (Linux /proc), e.g. a worker's engine processes. */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .split(/\s+/)
        .filter((p) => p !== '')
        .map(Number),
    );
  } catch {
    return [];
  }
}

/** Polls until `pid` has exited. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still running after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** One Server-Sent Event as received. */
export interface SseEvent {
  id: number | null;
  event: string;
  data: unknown;
  /** Date.now() when it arrived. */
  at: number;
}

/**
 * A minimal `text/event-stream` client over fetch: keeps every event received, and lets a test wait
 * for one that matches a condition. Comments (heartbeats) are skipped.
 */
export class EventStream {
  readonly events: SseEvent[] = [];
  private ended = false;
  private endError: unknown = null;
  private waiters = new Set<() => void>();

  private constructor(private readonly abort: AbortController) {}

  static async open(url: string, token: string, lastEventId?: number): Promise<EventStream> {
    const abort = new AbortController();
    const headers: Record<string, string> = { accept: 'text/event-stream', authorization: `Bearer ${token}` };
    if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
    const res = await fetch(url, { headers, signal: abort.signal });
    if (res.status !== 200 || res.body === null) {
      throw new Error(`event stream ${url}: ${res.status} ${await res.text()}`);
    }
    if (!res.headers.get('content-type')?.startsWith('text/event-stream')) {
      throw new Error(`event stream ${url}: content-type ${res.headers.get('content-type')}`);
    }
    const stream = new EventStream(abort);
    void stream.pump(res.body);
    return stream;
  }

  /** Events of one type, in arrival order. */
  ofType(type: string): SseEvent[] {
    return this.events.filter((e) => e.event === type);
  }

  /** Resolves with the first event (from the start of the stream) matching `pred`. */
  waitFor(pred: (e: SseEvent) => boolean, timeoutMs = 60_000, what = 'a matching event'): Promise<SseEvent> {
    return this.waitUntil((events) => events.find(pred), timeoutMs, what);
  }

  /** Resolves with the matching events once there are at least `count` of them. */
  waitForCount(pred: (e: SseEvent) => boolean, count: number, timeoutMs = 60_000): Promise<SseEvent[]> {
    return this.waitUntil(
      (events) => {
        const matching = events.filter(pred);
        return matching.length >= count ? matching : undefined;
      },
      timeoutMs,
      `${count} matching events`,
    );
  }

  /** Re-evaluates `check` on the events so far whenever more arrive, until it returns a value. */
  async waitUntil<T>(
    check: (events: readonly SseEvent[]) => T | undefined,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = check(this.events);
      if (found !== undefined) return found;
      if (this.ended) throw new Error(`event stream ended before ${what} arrived: ${String(this.endError ?? '')}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no ${what} within ${timeoutMs} ms (seen: ${this.events.map((e) => e.event).join(',')})`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  get isEnded(): boolean {
    return this.ended;
  }

  close(): void {
    this.abort.abort();
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        // Events end with a blank line; normalise CRLF/CR line ends first.
        buffer = buffer.replace(/\r\n?/g, '\n');
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const ev = parseBlock(block);
          if (ev) this.events.push(ev);
          end = buffer.indexOf('\n\n');
        }
        this.notify();
      }
    } catch (err) {
      if (!this.abort.signal.aborted) this.endError = err;
    } finally {
      this.ended = true;
      this.notify();
    }
  }

  private notify(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }
}

/** One event block per the SSE spec's field rules (`field: value`, one optional space, data lines joined). */
function parseBlock(block: string): SseEvent | null {
  let event = 'message';
  let id: number | null = null;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = Number(value);
  }
  if (data.length === 0) return null;
  const text = data.join('\n');
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { id, event, data: parsed, at: Date.now() };
}
