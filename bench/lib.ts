/**
 * Shared pieces of the benchmarks: timing child processes, sampling a process tree's memory from
 * /proc, and running `earshot serve` on a private data directory. Benchmarks print one JSON object
 * on stdout; progress goes to stderr.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { settingDefault } from '../src/config/config.js';
import { pocketsphinxModelFiles } from '../src/engines/pocketsphinx/pocketsphinx.options.js';
import { childEnv } from '../test/helpers/child-env.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI = `${ROOT}bin/earshot.js`;

export const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

/**
 * Runs a command to completion; returns wall seconds and output. Rejects on a non-zero exit.
 * Like every process a benchmark starts, it gets a clean environment plus `env` (the machine's own
 * EARSHOT_* settings would change what is measured).
 */
export function timed(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ seconds: number; stdout: string; stderr: string }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: childEnv(env), maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} failed: ${stderr || err.message}`));
      else resolve({ seconds: (performance.now() - start) / 1000, stdout, stderr });
    });
  });
}

async function rssKb(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** Current RSS of a process (MB) and of it plus all its descendants (MB). */
export async function treeRssMb(pid: number): Promise<{ self: number; tree: number }> {
  const self = await rssKb(pid);
  let tree = self;
  const stack = await childrenOf(pid);
  while (stack.length > 0) {
    const p = stack.pop() as number;
    tree += await rssKb(p);
    stack.push(...(await childrenOf(p)));
  }
  return { self: self / 1024, tree: tree / 1024 };
}

const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime + cutime + cstime of one process in seconds: its own CPU and its reaped children's. */
async function cpuOf(pid: number | 'self'): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name; utime is field 14 of the whole line, i.e. index 11 here.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(f[i] ?? 0), 0) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds used so far by a process tree: every living process's own time plus that of its
 * reaped children. Differences between two readings measure work done, whatever else the machine
 * runs (wall time on a shared machine measures who won the CPU), provided the tree's processes at
 * the first reading are still alive at the second. `'self'` reads this process (its reaped children,
 * e.g. raw engine runs, included).
 */
export async function treeCpuSeconds(pid: number | 'self'): Promise<number> {
  if (pid === 'self') return cpuOf('self');
  let total = await cpuOf(pid);
  const stack = await childrenOf(pid);
  while (stack.length > 0) {
    const p = stack.pop() as number;
    total += await cpuOf(p);
    stack.push(...(await childrenOf(p)));
  }
  return total;
}

/** Samples a process tree's RSS every `ms` until stopped; returns the peaks (MB). */
export function sampleRss(pid: number, ms = 250): { stop(): Promise<{ peakSelf: number; peakTree: number }> } {
  let peakSelf = 0;
  let peakTree = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const r = await treeRssMb(pid);
      peakSelf = Math.max(peakSelf, r.self);
      peakTree = Math.max(peakTree, r.tree);
      await new Promise((res) => setTimeout(res, ms));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { peakSelf, peakTree };
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface Service {
  url: string;
  token: string;
  proc: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `earshot serve` on `dataDir` (reused across restarts) and waits until /health answers.
 * With `onLogLine`, the server's stderr (its JSON log) is read line by line instead of passed through.
 */
export async function startService(
  dataDir: string,
  env: Record<string, string> = {},
  token?: string,
  onLogLine?: (line: string) => void,
): Promise<Service> {
  const port = await freePort();
  let tok = token;
  if (!tok) {
    const { stdout } = await timed(process.execPath, [
      CLI,
      'users',
      'add',
      `bench${Date.now()}`,
      '--admin',
      '--data-dir',
      dataDir,
    ]);
    tok = stdout.trim().split(/\s+/).at(-1) as string;
  }
  const proc = spawn(process.execPath, [CLI, 'serve'], {
    env: childEnv({ EARSHOT_DATA_DIR: dataDir, EARSHOT_PORT: port, EARSHOT_LOG_LEVEL: 'warn', ...env }),
    stdio: ['ignore', 'ignore', onLogLine ? 'pipe' : 'inherit'],
  });
  if (onLogLine && proc.stderr) createInterface({ input: proc.stderr }).on('line', onLogLine);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('service did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    url,
    token: tok,
    proc,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      proc.kill(signal);
      await exited;
    },
  };
}

export async function api<T>(svc: Service, path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${svc.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${svc.token}`, ...(init.headers ?? {}) },
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Uploads a file as a new task and returns its id. */
export async function upload(svc: Service, file: string, fields: Record<string, string> = {}): Promise<string> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', new Blob([await readFile(file)]), file.split('/').at(-1));
  const task = await api<{ id: string }>(svc, '/v1/tasks', { method: 'POST', body: form });
  return task.id;
}

export interface TaskView {
  id: string;
  status: string;
  progress: { percent: number; done_seconds: number; total_seconds: number | null };
  attempts: number;
}

/** Polls a task until `until` holds (benchmarks may poll; they measure, they don't assert order). */
export async function waitTask(
  svc: Service,
  id: string,
  until: (t: TaskView) => boolean,
  everyMs = 250,
): Promise<TaskView> {
  for (;;) {
    const t = await api<TaskView>(svc, `/v1/tasks/${id}`);
    if (until(t)) return t;
    if (['failed', 'cancelled'].includes(t.status)) throw new Error(`task ${id} ended ${t.status}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * The raw engine as a user runs it without Earshot: `pocketsphinx_continuous -infile FILE` with the
 * same model files Earshot uses, one process per file (it loads the model every time).
 */
export function rawEngineArgs(file: string): string[] {
  const model = pocketsphinxModelFiles(settingDefault('pocketsphinxModelDir'));
  return ['-infile', file, '-hmm', model.hmm, '-lm', model.lm, '-dict', model.dict, '-logfn', '/dev/null'];
}
