import { type ChildProcess, spawn } from 'node:child_process';
import { childEnv } from '../child-env.js';
import { CLI } from '../cli.js';
import { E2E_ENV, type ExitInfo, type ProcessHost, type ServiceOptions } from './options.js';
import { ProcessLog } from './process-log.js';
import { childPids, within } from './processes.js';

/**
 * The environment of a test service's processes: a clean one (childEnv: nothing of the machine's
 * EARSHOT_* settings leaks in), then E2E_ENV, the test's overrides and the data directory.
 */
export function serviceEnv(dataDir: string, opts: ServiceOptions = {}): Record<string, string> {
  return childEnv({
    ...E2E_ENV,
    // On a host, listen on its address (reached from the test over the private network).
    ...(opts.host ? { EARSHOT_HOST: opts.host.address } : {}),
    ...opts.env,
    EARSHOT_DATA_DIR: dataDir,
    ...(opts.faults ? { EARSHOT_TEST_FAULTS: JSON.stringify(opts.faults) } : {}),
  });
}

/**
 * One `node bin/earshot.js …` process started by a test (a standalone `earshot worker`, say), in its
 * own process group so `stop()` also kills whatever it started (engines, ffmpeg), with its log.
 */
export class CliProcess {
  readonly log: ProcessLog;
  readonly exited: Promise<ExitInfo>;
  private readonly child: ChildProcess;
  private exitInfo: ExitInfo | null = null;

  /** `host`: run on that simulated machine (see ServiceOptions.host) instead of this one. */
  constructor(args: readonly string[], env: Record<string, string>, label: string, host?: ProcessHost) {
    this.log = new ProcessLog(label);
    const [file, argv] = nodeCommand([CLI, ...args], host);
    this.child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    if (this.child.pid === undefined) throw new Error(`could not start ${label}`);
    const onData = (buf: Buffer) => this.log.append(buf.toString('utf8'));
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.exitInfo === null;
  }

  /** Direct children now (engine processes, ffmpeg). */
  children(): number[] {
    return childPids(this.pid);
  }

  /** The first log record matching `pred`; fails at the deadline or when the process exits first. */
  waitForLog(pred: (r: Record<string, unknown>) => boolean, what: string, timeoutMs = 60_000) {
    return this.log.waitFor(pred, timeoutMs, what, () => !this.running);
  }

  /** Sends `signal` to this process only and waits for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 30_000): Promise<ExitInfo> {
    if (this.running) this.child.kill(signal);
    return within(this.exited, timeoutMs, () => `${signal}: still running after ${timeoutMs} ms\n${this.log.tail()}`);
  }

  /** Kills the whole process group (the process and everything it started). Idempotent. */
  async stop(): Promise<void> {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
    await this.exited;
  }
}

export interface WorkerOptions extends ServiceOptions {
  /** EARSHOT_WORKER_ID: names the worker in logs and lease rows. */
  id: string;
  /**
   * Its data directory: the SQLite store (unless EARSHOT_DB says otherwise) and work files. Uploads
   * are read from where the API server stored them (the task row has the path).
   */
  dataDir: string;
}

/** `[file, args]` running Node with `args` here, or on `host` (inside its network namespace). */
export function nodeCommand(args: readonly string[], host?: ProcessHost): [string, string[]] {
  return host ? host.command(process.execPath, args) : [process.execPath, [...args]];
}

/**
 * Starts a standalone `earshot worker` (no supervisor: nothing re-queues its task if it dies; only
 * lease expiry does) and waits until its engines are loaded, i.e. it is about to claim.
 */
export async function startWorker(opts: WorkerOptions): Promise<CliProcess> {
  const env = { ...serviceEnv(opts.dataDir, opts), EARSHOT_WORKER_ID: opts.id };
  const worker = new CliProcess(['worker'], env, `worker ${opts.id}`, opts.host);
  try {
    await worker.waitForLog((r) => r.msg === 'engines loaded', 'engines loaded', 30_000);
  } catch (err) {
    await worker.stop();
    throw err;
  }
  return worker;
}
