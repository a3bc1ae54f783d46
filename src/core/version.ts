import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * Earshot's version from its package.json, found upwards from this file (works from src/ and dist/).
 * Read once, synchronously, at start-up; "unknown" when the file cannot be found or read.
 */
export function earshotVersion(): string {
  if (cached !== undefined) return cached;
  cached = 'unknown';
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const version = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
        if (typeof version === 'string') cached = version;
      } catch {
        // an unreadable package.json leaves the version unknown; the worker still runs
      }
      return cached;
    }
    const parent = dirname(dir);
    if (parent === dir) return cached;
    dir = parent;
  }
}
