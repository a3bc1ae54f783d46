import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { processAlive } from '../service/processes.js';
import { ipSync, sleepSync } from './ip-command.js';
import { bridgeName, LINK_PREFIX, netnsName } from './names.js';

/** How long killed processes get to disappear before teardown reports them (they die at once, unless the machine is swamped). */
const KILL_DEADLINE_MS = 15_000;

/** Namespace names (from `ip netns list`, "NAME (id: 3)" lines). */
export function listNetns(): string[] {
  return (ipSync('netns', 'list') ?? '')
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

/** Link names in the root namespace ("12: eshot5h0@if2: <...>" lines). */
export function listLinks(): string[] {
  return (ipSync('-o', 'link', 'show') ?? '')
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '')
    .filter((n) => n !== '');
}

/** Pids of the processes in a namespace. */
export function netnsPids(netns: string): number[] {
  return (ipSync('netns', 'pids', netns) ?? '')
    .split(/\s+/)
    .filter((p) => p !== '')
    .map(Number);
}

/**
 * One round of pulling a machine's plug: SIGKILL to every live process in `netns`. Returns the pids
 * signalled (none: the namespace is empty). Callers repeat until none is left, as a process may
 * fork while its siblings are being killed.
 */
export function killNetnsRound(netns: string): number[] {
  const pids = netnsPids(netns).filter(processAlive);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  return pids;
}

/** SIGKILLs every process in `netns` until none is left; returns the pids killed. */
export function killNetnsSync(netns: string, deadlineMs = KILL_DEADLINE_MS): number[] {
  const killed = new Set<number>();
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const pids = killNetnsRound(netns);
    if (pids.length === 0) return [...killed];
    if (Date.now() > deadline) throw new Error(`${netns}: processes ${pids.join(', ')} survive SIGKILL`);
    for (const pid of pids) killed.add(pid);
    sleepSync(20);
  }
}

/**
 * Stops the private PostgreSQL whose cluster is `dataDir`, if it runs: SIGQUIT is PostgreSQL's
 * immediate shutdown (the postmaster stops its backends and removes its shared memory), SIGKILL
 * after a deadline. Only a process whose command line names this data directory is signalled, so a
 * reused pid in a stale postmaster.pid cannot hit another process.
 */
export function stopPostgresSync(dataDir: string, deadlineMs = KILL_DEADLINE_MS): void {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return; // never started, or stopped cleanly
  }
  const isOurs = () => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(dataDir) && processAlive(pid);
    } catch {
      return false;
    }
  };
  if (!Number.isInteger(pid) || !isOurs()) return;
  process.kill(pid, 'SIGQUIT');
  const deadline = Date.now() + deadlineMs;
  while (isOurs()) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    sleepSync(20);
  }
}

/**
 * Removes everything of network `index`: its hosts' processes, veths and namespaces, its PostgreSQL,
 * its bridge, and last its state directory (which frees the number for the next network). Also the
 * clean-up of a crashed run's leftovers. Each step ignores what is already gone.
 */
export function removeNetworkSync(index: number, dir: string): void {
  const nsPrefix = netnsName(index, '');
  const namespaces = listNetns().filter((n) => n.startsWith(nsPrefix));
  for (const ns of namespaces) killNetnsSync(ns);
  // Deleting one end of a veth deletes both; done explicitly, as a namespace whose last process
  // just died is freed (and its veths with it) asynchronously.
  const veth = new RegExp(`^${LINK_PREFIX}${index}h\\d+$`);
  for (const link of listLinks().filter((l) => veth.test(l))) ipSync('link', 'del', link);
  for (const ns of namespaces) ipSync('netns', 'del', ns);
  stopPostgresSync(path.join(dir, 'pg', 'data'));
  if (listLinks().includes(bridgeName(index))) ipSync('link', 'del', bridgeName(index));
  rmSync(dir, { recursive: true, force: true });
}
