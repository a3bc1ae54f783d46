import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PostgresTaskStore } from './postgres/postgres.store.js';
import { SqliteTaskStore } from './sqlite/sqlite.store.js';
import type { StoreOptions } from './store-options.js';
import type { TaskStore } from './task.store.js';

export interface CreateStoreOptions extends StoreOptions {
  /** PostgreSQL schema when the URL has no `?schema=`; default 'earshot'. */
  schema?: string;
  /** PostgreSQL pool size; default 10. */
  poolSize?: number;
  /** SQLite: how long a write waits for another process's lock; default 5 s. */
  busyTimeoutMs?: number;
}

export type StoreLocation =
  | { kind: 'postgres'; connectionString: string; schema: string | undefined }
  | { kind: 'sqlite'; path: string };

/**
 * Reads a store URL: `postgres://…` / `postgresql://…` (optional `?schema=name`, removed from the
 * connection string), `sqlite:///abs/path.db`, `sqlite:relative.db`, `file:///abs/path.db`, or a
 * plain file path.
 */
export function parseStoreUrl(url: string): StoreLocation {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get('schema') ?? undefined;
    parsed.searchParams.delete('schema');
    return { kind: 'postgres', connectionString: parsed.toString(), schema };
  }
  if (/^file:\/\//i.test(url)) return { kind: 'sqlite', path: fileURLToPath(url) };
  const sqlite = /^sqlite:(?:\/\/)?(.+)$/i.exec(url);
  const file = sqlite?.[1] ?? url;
  if (file === '') throw new Error(`store URL has no path: ${url}`);
  return { kind: 'sqlite', path: file === ':memory:' ? file : decodeURIComponent(file) };
}

/**
 * Opens the TaskStore a URL names. Does not migrate: callers run `migrate()` once at startup. A
 * SQLite file's directory is created if missing. A `?schema=` in the URL wins over `opts.schema`.
 */
export function createStore(url: string, opts: CreateStoreOptions = {}): TaskStore {
  const where = parseStoreUrl(url);
  const { schema, poolSize, busyTimeoutMs, ...common } = opts;
  if (where.kind === 'postgres') {
    return new PostgresTaskStore(where.connectionString, {
      ...common,
      schema: where.schema ?? schema ?? 'earshot',
      ...(poolSize === undefined ? {} : { poolSize }),
    });
  }
  if (where.path !== ':memory:') mkdirSync(path.dirname(path.resolve(where.path)), { recursive: true });
  return new SqliteTaskStore(where.path, { ...common, ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }) });
}
