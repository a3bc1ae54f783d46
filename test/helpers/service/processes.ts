import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

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

/** `promise`, or a rejection with `message()` after `ms`; the timer never outlives the promise. */
export async function within<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
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
 * Resolves with the URL an `earshot serve` child logs once it listens (JSON logs at level info or
 * lower; start it on port 0 so the OS picks a free port and no other process can take it first).
 * Every chunk of its stdout and stderr is also passed to `onText`.
 */
export function listeningUrl(child: ChildProcess, onText: (text: string) => void = () => {}): Promise<string> {
  return new Promise<string>((resolve) => {
    let pending = '';
    const onData = (buf: Buffer) => {
      const text = buf.toString('utf8');
      onText(text);
      pending += text;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const m = /"msg":"Server listening at (http:\/\/[^"]+)"/.exec(line);
        if (m?.[1]) resolve(m[1].replace('localhost', '127.0.0.1'));
        nl = pending.indexOf('\n');
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
}
