import { readFileSync } from 'node:fs';

/**
 * Who holds a network: a pid and that process's start time (clock ticks since boot, field 22 of
 * /proc/PID/stat), so a pid reused by an unrelated process after a crash is not mistaken for the owner.
 */
export interface Owner {
  pid: number;
  start: string;
}

export function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "pid (comm) ": the comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall; fields[0] is field 3 (state)
  } catch {
    return null;
  }
}

export function currentOwner(): Owner {
  return { pid: process.pid, start: startTimeOf(process.pid) ?? '' };
}

export function ownerAlive(owner: Owner): boolean {
  return startTimeOf(owner.pid) === owner.start;
}

export function parseOwner(text: string): Owner | null {
  try {
    const o = JSON.parse(text) as Partial<Owner>;
    return typeof o.pid === 'number' && typeof o.start === 'string' ? { pid: o.pid, start: o.start } : null;
  } catch {
    return null;
  }
}
