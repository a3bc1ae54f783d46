import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent } from 'undici';
import { InvalidRequestError, PrivateTargetError } from '../core/errors/index.js';

/**
 * Outbound requests (task `url` downloads, webhooks) go to addresses users chose. Unless private
 * targets are allowed, they may only reach public unicast addresses: otherwise a user could make the
 * server probe its own network (SSRF). The check runs when the URL is accepted (clear 400) and again
 * at connect time inside the dispatcher's DNS lookup, so a name that re-resolves to a private address
 * later (DNS rebinding) is still refused.
 */

/** True for public unicast addresses; loopback, private, link-local, CGNAT, reserved etc. are not. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  // ipaddr.process turns IPv4-mapped IPv6 (::ffff:127.0.0.1) into the IPv4 it really is.
  return ipaddr.process(address).range() === 'unicast';
}

function hostOf(url: URL): string {
  // URL keeps IPv6 literals bracketed.
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** Parses and checks an outbound URL: http(s) only, no credentials, and (unless allowed) a public host. */
export async function checkOutboundUrl(raw: string, allowPrivate: boolean, what = 'url'): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidRequestError(`${what} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidRequestError(`${what} must use http or https`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidRequestError(`${what} must not contain credentials`);
  }
  if (!allowPrivate) {
    const host = hostOf(url);
    const addresses = net.isIP(host)
      ? [host]
      : await dns.promises.lookup(host, { all: true }).then(
          (list) => list.map((a) => a.address),
          () => {
            throw new InvalidRequestError(`${what} host ${host} does not resolve`);
          },
        );
    if (addresses.length === 0 || !addresses.every(isPublicAddress)) throw new PrivateTargetError(host);
  }
  return url;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/** A `net.connect` lookup that refuses names resolving to any non-public address. */
function guardedLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    if (addresses.length === 0 || !addresses.every((a) => isPublicAddress(a.address))) {
      return callback(new PrivateTargetError(hostname), []);
    }
    if (options.all) return callback(null, addresses);
    const first = addresses[0] as dns.LookupAddress;
    return callback(null, first.address, first.family);
  });
}

/**
 * An undici dispatcher for user-chosen targets. Literal IP hosts skip DNS, so callers must still run
 * `checkOutboundUrl` on every URL (including each redirect) before using it.
 */
export function createOutboundAgent(allowPrivate: boolean): Agent {
  return new Agent({
    connections: 16,
    connectTimeout: 10_000,
    ...(allowPrivate ? {} : { connect: { lookup: guardedLookup as unknown as typeof dns.lookup } }),
  });
}
