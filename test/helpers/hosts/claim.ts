import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ipSync } from './ip-command.js';
import { indexOfStateDir, LINK_PREFIX, MAX_INDEX, overlapsSubnet, stateDir } from './names.js';
import { currentOwner, type Owner, ownerAlive, parseOwner } from './owner.js';
import { listLinks, listNetns, removeNetworkSync } from './teardown.js';

/** A state directory without an owner file this old was left by a run that died right after mkdir. */
const UNOWNED_GRACE_MS = 60_000;

const ownerFile = (dir: string) => path.join(dir, 'owner');
const reaperFile = (dir: string) => path.join(dir, 'reaper');

/**
 * Claims a free network number: one whose subnet no route of this machine overlaps (another
 * network's, or a private network of a crashed run that nobody has removed yet) and whose state
 * directory this process creates (mkdir is atomic, so two test files never get the same number).
 * Leftovers of that number without a state directory are orphans and removed first.
 */
export function claimNetwork(): { index: number; dir: string } {
  reapStale();
  const routes = routePrefixes();
  const candidates = shuffle([...Array(MAX_INDEX + 1).keys()]);
  for (const index of candidates) {
    if (routes.some((r) => overlapsSubnet(r, index))) continue;
    const dir = stateDir(index);
    try {
      mkdirSync(dir, { mode: 0o755 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    // World-searchable: the postgres OS user reaches its cluster inside.
    writeFileSync(ownerFile(dir), JSON.stringify(currentOwner()), { mode: 0o644 });
    return { index, dir };
  }
  throw new Error('no free private network number (10.213.0.0/16 is all taken or overlaps routes)');
}

/**
 * Removes the networks of test runs that died without tearing down (a SIGKILLed runner): those whose
 * owner process is gone. A network whose owner runs is never touched. Two runs reaping at once
 * agree on who does it through an exclusively created reaper file.
 */
export function reapStale(): number[] {
  const reaped: number[] = [];
  for (const name of readdirSync(os.tmpdir())) {
    const index = indexOfStateDir(name);
    if (index === null) continue;
    const dir = path.join(os.tmpdir(), name);
    if (!isStale(dir) || !becomeReaper(dir)) continue;
    removeNetworkSync(index, dir);
    reaped.push(index);
  }
  // Links or namespaces of a number whose state directory is gone (deleted from the temp dir by
  // hand, say) are in nobody's use: claim the number, remove them, free it again.
  const numbers = new RegExp(`^${LINK_PREFIX}(\\d{1,3})(?:h\\d+|-.*)?$`);
  const orphaned = new Set(
    [...listLinks(), ...listNetns()].flatMap((n) => {
      const m = numbers.exec(n);
      return m ? [Number(m[1])] : [];
    }),
  );
  for (const index of orphaned) {
    if (index > MAX_INDEX) continue;
    const dir = stateDir(index);
    try {
      mkdirSync(dir, { mode: 0o755 });
    } catch {
      continue; // in use (or being reaped) by its owner
    }
    writeFileSync(ownerFile(dir), JSON.stringify(currentOwner()));
    removeNetworkSync(index, dir);
    reaped.push(index);
  }
  return reaped;
}

/** Whether this process is the owner recorded in the state directory `dir`. */
export function ownsStateDir(dir: string): boolean {
  const owner = readOwner(ownerFile(dir));
  const me = currentOwner();
  return owner !== null && owner.pid === me.pid && owner.start === me.start;
}

function isStale(dir: string): boolean {
  const owner = readOwner(ownerFile(dir));
  if (owner !== null) return !ownerAlive(owner);
  try {
    return Date.now() - statSync(dir).mtimeMs > UNOWNED_GRACE_MS;
  } catch {
    return false; // removed meanwhile
  }
}

function becomeReaper(dir: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(reaperFile(dir), JSON.stringify(currentOwner()), { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return false; // the directory went away
      const reaper = readOwner(reaperFile(dir));
      if (reaper !== null && ownerAlive(reaper)) return false; // someone else is on it
      try {
        unlinkSync(reaperFile(dir)); // that reaper died too: take over
      } catch {
        return false;
      }
    }
  }
  return false;
}

function readOwner(file: string): Owner | null {
  try {
    return parseOwner(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** IPv4 destinations of every route in every table (local addresses included). */
function routePrefixes(): string[] {
  return (ipSync('-4', '-o', 'route', 'show', 'table', 'all') ?? '').split('\n').flatMap((line) => {
    const words = line.trim().split(/\s+/);
    // "local 10.213.5.1 dev eshot5 table local ..." / "10.213.5.0/24 dev eshot5 proto kernel ..."
    const prefix = ['local', 'broadcast', 'unicast', 'multicast', 'blackhole', 'unreachable', 'prohibit'].includes(
      words[0] ?? '',
    )
      ? words[1]
      : words[0];
    return prefix ? [prefix] : [];
  });
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
