import { createHash, randomBytes } from 'node:crypto';

/** A new API token: 32 random bytes, URL-safe, prefixed so leaked tokens are recognisable in logs and scanners. */
export function generateToken(): string {
  return `esk_${randomBytes(32).toString('base64url')}`;
}

/**
 * Tokens are stored only as SHA-256 hashes. A fast hash is right here (unlike passwords): the token
 * has 256 bits of entropy, so there is nothing to brute-force, and every request must verify cheaply.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
