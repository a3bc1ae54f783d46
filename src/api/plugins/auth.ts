import type { FastifyInstance, FastifyRequest } from 'fastify';
import ipaddr from 'ipaddr.js';
import type { Config } from '../../config/config.js';
import { ForbiddenError, UnauthorizedError } from '../../core/errors/index.js';
import { generateToken, hashToken } from '../../core/token.js';
import type { User } from '../../core/user.js';
import type { TaskStore } from '../../store/task.store.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; set by the auth hook on every /v1 route. */
    user: User | null;
  }
  interface FastifyContextConfig {
    /**
     * Accept `?access_token=` (or `?token=`) as well as the header: EventSource and browser
     * WebSockets cannot send headers. SSE and WebSocket routes only.
     */
    allowQueryToken?: boolean;
    /** Accept the token as the `openai-insecure-api-key.<token>` WebSocket subprotocol (OpenAI's browser clients). */
    allowProtocolToken?: boolean;
  }
}

export const LOCAL_USER_NAME = 'local';

/** True for addresses only this machine can reach: `localhost`, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (!ipaddr.isValid(bare)) return false;
  return ipaddr.process(bare).range() === 'loopback';
}

/**
 * Auth=none is single-user mode for one machine: refusing it on any non-loopback address keeps a
 * misconfiguration from publishing an unauthenticated admin API on the network.
 */
export function assertAuthModeSafe(config: Config): void {
  if (config.auth === 'none' && !isLoopbackHost(config.host)) {
    throw new Error(
      `EARSHOT_AUTH=none is only allowed when listening on a loopback address, not EARSHOT_HOST=${config.host}; ` +
        'use token auth (earshot users add NAME) or listen on 127.0.0.1',
    );
  }
}

/** The built-in admin of auth=none mode, created on first start. Its token is random and never shown: it cannot log in. */
export async function ensureLocalUser(store: TaskStore): Promise<User> {
  const find = async (): Promise<User | undefined> => (await store.listUsers()).find((u) => u.name === LOCAL_USER_NAME);
  let user = await find();
  if (user === undefined) {
    try {
      user = await store.createUser(LOCAL_USER_NAME, 'admin', hashToken(generateToken()));
    } catch (err) {
      // Another process sharing the store created it first.
      user = await find();
      if (user === undefined) throw err;
    }
  }
  return user.role === 'admin' ? user : { ...user, role: 'admin' };
}

/** The subprotocol prefix OpenAI's browser clients put their key in. */
export const PROTOCOL_TOKEN_PREFIX = 'openai-insecure-api-key.';

function protocolToken(header: string | string[] | undefined): string | null {
  const offered = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((p) => p.trim());
  const entry = offered.find((p) => p.startsWith(PROTOCOL_TOKEN_PREFIX));
  const token = entry?.slice(PROTOCOL_TOKEN_PREFIX.length) ?? '';
  return token === '' ? null : token;
}

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m?.[1] ?? null;
  }
  if (request.routeOptions.config.allowProtocolToken) {
    const token = protocolToken(request.headers['sec-websocket-protocol']);
    if (token !== null) return token;
  }
  if (request.routeOptions.config.allowQueryToken) {
    const query = request.query as Record<string, unknown> | undefined;
    const q = query?.access_token ?? query?.token;
    if (typeof q === 'string' && q !== '') return q;
  }
  return null;
}

/**
 * Adds the authentication hook to the (encapsulated) /v1 scope: a Bearer token is hashed and looked
 * up; `access_token` in the query counts only on routes that opt in (the SSE streams). With
 * auth=none every request is the local admin.
 */
export function installAuth(scope: FastifyInstance, opts: { config: Config; store: TaskStore; localUser: () => User }) {
  scope.addHook('onRequest', async (request) => {
    if (opts.config.auth === 'none') {
      request.user = opts.localUser();
      return;
    }
    const token = bearer(request);
    if (token === null) throw new UnauthorizedError();
    const user = await opts.store.findUserByTokenHash(hashToken(token));
    if (user === null) throw new UnauthorizedError('invalid API token');
    request.user = user;
  });
}

export function requireUser(request: FastifyRequest): User {
  if (request.user === null) throw new UnauthorizedError();
  return request.user;
}

/** preHandler for /v1/admin/*. */
export async function requireAdmin(request: FastifyRequest): Promise<void> {
  if (requireUser(request).role !== 'admin') throw new ForbiddenError();
}
