import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, runCli } from '../cli.js';
import { nodeCommand, serviceEnv } from './cli-process.js';
import type { ExitInfo, ServiceOptions, User, WorkerView } from './options.js';
import { ProcessLog } from './process-log.js';
import { listeningUrl, within } from './processes.js';

/**
 * Deadlines, not waits: each only bounds how long a hung start takes to report. They are generous
 * because a loaded machine (CI runners, parallel test files) can take tens of seconds to start Node
 * and load the engines' models.
 */
const STARTUP_TIMEOUT_MS = 90_000;
const WORKERS_READY_TIMEOUT_MS = 90_000;

/**
 * The process side of a Service: its data directory, users, and the server process currently running
 * on it (start, restart, kill, stop), its log, and polling with a deadline. The API side (which
 * `start()` needs to see the workers idle) is the subclass's.
 */
export abstract class ServerProcess {
  readonly tokens: Record<User, string> = { alice: '', root: '' };
  private child: ChildProcess | null = null;
  private exit: Promise<ExitInfo> | null = null;
  private baseUrl = '';
  private readonly log = new ProcessLog('service');
  /** Every process group this service started; all of them are killed by stop(). */
  private readonly groups = new Set<number>();
  private readonly env: Record<string, string>;

  /** `ownsDataDir` false: another service's directory, which stop() leaves in place. */
  constructor(
    readonly dataDir: string,
    private readonly opts: ServiceOptions,
    private readonly ownsDataDir = true,
  ) {
    this.env = serviceEnv(dataDir, opts);
  }

  /** Polls the admin API until the workers match `pred`. */
  abstract waitForWorkers(pred: (ws: WorkerView[]) => boolean, timeoutMs?: number): Promise<WorkerView[]>;

  get url(): string {
    if (this.baseUrl === '') throw new Error('the service is not running');
    return this.baseUrl;
  }

  /** Whether a server process is running now (started and not killed). */
  get running(): boolean {
    return this.baseUrl !== '';
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

  /** The store the service uses: EARSHOT_DB (a PostgreSQL URL, say) when the test set one, else its SQLite file. */
  get storeUrl(): string {
    return this.env.EARSHOT_DB || this.dbPath;
  }

  /** Resolves when the current server process exits. */
  get exited(): Promise<ExitInfo> {
    if (this.exit === null) throw new Error('the service was never started');
    return this.exit;
  }

  /** Everything the server and its workers logged so far (the tail, for failure messages). */
  output(): string {
    return this.log.all();
  }

  /** Log records (JSON lines) matching `pred`. */
  logRecords(pred: (r: Record<string, unknown>) => boolean = () => true): Record<string, unknown>[] {
    return this.log.records(pred);
  }

  /** The first log record (server or supervised workers) matching `pred`, waiting for it up to `timeoutMs`. */
  waitForLog(pred: (r: Record<string, unknown>) => boolean, what: string, timeoutMs = 60_000) {
    return this.log.waitFor(pred, timeoutMs, what);
  }

  /** @internal Creates the users through the CLI, as an operator would. */
  async createUsers(): Promise<void> {
    const add = async (name: User, admin: boolean) => {
      const args = ['users', 'add', name, ...(admin ? ['--admin'] : []), '--data-dir', this.dataDir];
      const db: Record<string, string> = this.env.EARSHOT_DB ? { EARSHOT_DB: this.env.EARSHOT_DB } : {};
      const r = await runCli(args, { EARSHOT_LOG_LEVEL: 'error', ...db });
      const token = r.stdout.trim().split(/\s+/).pop();
      if (r.code !== 0 || !token) throw new Error(`users add ${name} failed (${r.code}): ${r.stderr}`);
      this.tokens[name] = token;
    };
    // One after the other, as an operator would. Run at once on a new database, one of the two once
    // failed with "database is locked" on a loaded machine (not reproduced in 40 tries on a quiet one).
    await add('root', true);
    await add('alice', false);
  }

  /** @internal Starts the server process and waits for /health (and for idle workers). */
  async start(): Promise<void> {
    if (this.child !== null) throw new Error('the service is already running');
    const [file, args] = nodeCommand([CLI, 'serve'], this.opts.host);
    const child = spawn(file, args, {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so cleanup can kill the server, its workers and their engines at once.
      detached: true,
    });
    if (child.pid === undefined) throw new Error('could not start the server');
    this.groups.add(child.pid);
    this.child = child;
    this.baseUrl = '';
    const listening = listeningUrl(child, (text) => this.log.append(text));
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
    this.baseUrl = url;
    await this.until('/health answers', async () => (await fetch(`${this.baseUrl}/health`)).ok, {
      timeoutMs: STARTUP_TIMEOUT_MS,
    });
    const workers = Number(this.env.EARSHOT_WORKERS);
    if (workers > 0 && this.opts.waitForWorkers !== false) {
      // Ready means engines loaded: idle, or already busy (after a restart, a worker claims the
      // released task at once and stays busy for as long as the task takes, which load stretches).
      await this.waitForWorkers(
        (ws) => ws.length === workers && ws.every((w) => w.state === 'idle' || w.state === 'busy'),
        WORKERS_READY_TIMEOUT_MS,
      );
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

  /** Kills every process this service started (server, workers, engines) and removes its data directory. */
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
    if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
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

  protected tail(): string {
    return this.log.tail();
  }
}
