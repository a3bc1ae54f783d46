import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { type AppDeps, buildApp } from '../../src/api/app.js';
import { type Config, type ConfigOverrides, loadConfig } from '../../src/config/config.js';
import { generateToken, hashToken } from '../../src/core/token.js';
import type { Role, User } from '../../src/core/user.js';
import { createStore } from '../../src/store/create-store.js';
import type { TaskStore } from '../../src/store/task.store.js';

export interface StartServerOptions {
  /** Settings on top of the test defaults (temp data dir, port 0, no workers, silent logs). */
  config?: ConfigOverrides;
  /** Users to create; default alice and bob (role user) and root (admin). */
  users?: Array<{ name: string; role?: Role }>;
  supervisor?: AppDeps['supervisor'];
  probe?: AppDeps['probe'];
  tuning?: AppDeps['tuning'];
  /** Web UI directory to serve at `/` (default: none). */
  webRoot?: string | null;
  /** Runs on the store (users created) before the app is built: state a previous server left behind. */
  prepare?: (store: TaskStore, users: Record<string, User>) => Promise<void>;
}

export interface TestServer {
  /** Base URL, e.g. http://127.0.0.1:39123 */
  url: string;
  /** API token by user name. */
  tokens: Record<string, string>;
  users: Record<string, User>;
  store: TaskStore;
  config: Config;
  app: FastifyInstance;
  dataDir: string;
  /** Closes the app and the store and removes the data directory. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_USERS: Array<{ name: string; role?: Role }> = [
  { name: 'alice' },
  { name: 'bob' },
  { name: 'root', role: 'admin' },
];

/**
 * A real server on a random loopback port over a real SQLite store in a fresh temp directory, with
 * users created through the store. Nothing is shared between calls, so test files run in parallel.
 * Set EARSHOT_TEST_LOG=debug to see the server's logs.
 */
export async function startServer(opts: StartServerOptions = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'earshot-api-'));
  const config = loadConfig(
    {
      dataDir,
      host: '127.0.0.1',
      port: 0,
      workers: 0,
      logLevel: 'silent',
      // Quick webhook retries, and an idle sender that looks often.
      webhookBaseDelayMs: 50,
      webhookPollMs: 200,
      ...opts.config,
    },
    {}, // ignore the environment: tests must not depend on the machine's EARSHOT_* variables
  );
  const store = createStore(path.join(dataDir, 'earshot.db'));
  await store.migrate();
  const tokens: Record<string, string> = {};
  const users: Record<string, User> = {};
  for (const u of opts.users ?? DEFAULT_USERS) {
    const token = generateToken();
    users[u.name] = await store.createUser(u.name, u.role ?? 'user', hashToken(token));
    tokens[u.name] = token;
  }
  await opts.prepare?.(store, users);
  const log = pino({ level: process.env.EARSHOT_TEST_LOG ?? 'silent' });
  const app = buildApp({
    config,
    store,
    log,
    tuning: { eventPollMs: 50, ...opts.tuning },
    webRoot: opts.webRoot ?? null,
    ...(opts.supervisor ? { supervisor: opts.supervisor } : {}),
    ...(opts.probe ? { probe: opts.probe } : {}),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  let closed: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${address.port}`,
    tokens,
    users,
    store,
    config,
    app,
    dataDir,
    close: () => {
      closed ??= (async () => {
        await app.close();
        await store.close();
        await rm(dataDir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}
