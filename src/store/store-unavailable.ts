/**
 * Whether `err` says the store cannot be reached (PostgreSQL down, restarting, or the network to it
 * cut), as opposed to a bad query or a bug: the API answers such failures 503, so clients and load
 * balancers retry instead of reporting a server fault. Looks through `cause` chains.
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
]);

/** SQLSTATE classes/codes for a server that is unreachable or going away: 08 connection exceptions, 57P01–57P03 shutdown/startup. */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123])$/;

export function isStoreUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
    // node-postgres reports a connection lost mid-query with these messages and no code.
    if (/^Connection terminated|^connection timeout|Client has encountered a connection error/i.test(e.message)) {
      return true;
    }
  }
  return false;
}
