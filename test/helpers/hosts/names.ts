import os from 'node:os';
import path from 'node:path';

/**
 * Names and addresses of private network number N (0-255). Everything a network creates carries
 * its number, so one network's leftovers can be found and removed without touching another's:
 *   state directory  $TMPDIR/earshot-hosts-N   (claimed by mkdir: whoever creates it owns N)
 *   bridge           eshotN                    10.213.N.1/24, in the root namespace
 *   host i           netns eshotN-<name>       10.213.N.(10+i), its end of the veth is eth0
 *   veth (root end)  eshotNhI                  a port of the bridge
 * Invariant: resources of N exist only while its state directory does (created first, removed
 * last), so N's state directory says who to ask whether they are still in use.
 */
export const LINK_PREFIX = 'eshot';
export const STATE_PREFIX = 'earshot-hosts-';
/** 10.213.0.0/16: private (RFC 1918) and unlikely to be a real network; clashing subnets are skipped. */
const SUBNET_BASE = '10.213';
export const MAX_INDEX = 255;
/** Host addresses start here, leaving .1 to the bridge (the root namespace: tests and PostgreSQL). */
const FIRST_HOST = 10;
export const MAX_HOSTS = 200;

export function stateDir(index: number): string {
  return path.join(os.tmpdir(), `${STATE_PREFIX}${index}`);
}

export function bridgeName(index: number): string {
  return `${LINK_PREFIX}${index}`;
}

export function subnet(index: number): string {
  return `${SUBNET_BASE}.${index}.0/24`;
}

export function gatewayAddress(index: number): string {
  return `${SUBNET_BASE}.${index}.1`;
}

export function hostAddress(index: number, host: number): string {
  return `${SUBNET_BASE}.${index}.${FIRST_HOST + host}`;
}

export function netnsName(index: number, hostName: string): string {
  return `${LINK_PREFIX}${index}-${hostName}`;
}

/** Under IFNAMSIZ (15 characters): at most "eshot255h199". */
export function vethName(index: number, host: number): string {
  return `${LINK_PREFIX}${index}h${host}`;
}

/** Host names become part of namespace names and paths: keep them plain. */
export function checkHostName(name: string): void {
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(name))
    throw new Error(`host name ${JSON.stringify(name)}: use [a-z][a-z0-9-]{0,19}`);
}

/** The network number a state directory's name stands for, or null when it is not one. */
export function indexOfStateDir(name: string): number | null {
  const m = new RegExp(`^${STATE_PREFIX}(\\d{1,3})$`).exec(name);
  const n = m ? Number(m[1]) : Number.NaN;
  return Number.isInteger(n) && n <= MAX_INDEX ? n : null;
}

/** Whether the IPv4 prefix `cidr` ("a.b.c.d/len", or "default") overlaps network N's /24. */
export function overlapsSubnet(cidr: string, index: number): boolean {
  if (cidr === 'default') return false; // a default route does not claim the addresses as local
  const [addr, lenText] = cidr.split('/');
  const len = lenText === undefined ? 32 : Number(lenText);
  const a = toInt(addr ?? '');
  if (a === null || !(len >= 0 && len <= 32)) return false;
  const ours = toInt(`${SUBNET_BASE}.${index}.0`) as number;
  const common = Math.min(len, 24);
  const mask = common === 0 ? 0 : (0xffffffff << (32 - common)) >>> 0;
  return (a & mask) >>> 0 === (ours & mask) >>> 0;
}

function toInt(addr: string): number | null {
  const parts = addr.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) return null;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}
