import { execFile, execFileSync } from 'node:child_process';

/** iproute2's `ip`, by absolute path: a test's PATH need not include /usr/sbin. */
export const IP_BIN = ['/usr/sbin/ip', '/sbin/ip', '/bin/ip'].find((p) => isExecutable(p)) ?? 'ip';

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `file args`; never throws for a failing command (see `code`). */
export function run(file: string, args: readonly string[], opts: { cwd?: string } = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: opts.cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr: err !== null && stderr === '' ? String(err.message) : stderr });
    });
  });
}

/** `ip args`, throwing with ip's message when it fails. */
export async function ip(...args: string[]): Promise<string> {
  const r = await run(IP_BIN, args);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * `ip args`, synchronously, ignoring failure (returns null). Teardown uses the synchronous form so
 * the same code can run from a process 'exit' handler, where nothing asynchronous runs any more.
 */
export function ipSync(...args: string[]): string | null {
  try {
    return execFileSync(IP_BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return null;
  }
}

/** Blocks for `ms` (synchronous teardown only: polling for processes to die without an event loop). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function isExecutable(file: string): boolean {
  try {
    execFileSync('test', ['-x', file]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether this process can build private networks: it needs root (network namespaces, links) and a
 * working `ip netns`. The reason is the message a skipped test shows.
 */
export function hostsSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces need root (run the tests as root)' };
  if (ipSync('netns', 'list') === null) return { ok: false, reason: `\`${IP_BIN} netns list\` does not work here` };
  return { ok: true };
}
