import type { Config } from '../config/config.js';
import type { Logger } from '../core/logger.js';
import type { LiveErrorCode } from './live-errors.js';
import type { LiveWorkers } from './live-workers.js';

/** What the gateway needs of a session to count and stop it. */
export interface GatewaySession {
  /** Ends the session with a fatal error (event, then close). */
  fail(code: LiveErrorCode): void;
  /** Audio received from the client and not yet recognised, bytes. */
  readonly bufferedBytes: number;
}

/**
 * The API process's live sessions: admission against `liveMaxSessions`, the count metrics and
 * admin views show, and shutdown. A slot is taken before the session starts and given back only
 * when the session has fully ended (the worker reported it closed, or died), so the count is the
 * number of sessions holding resources anywhere.
 */
export class LiveGateway {
  private readonly sessions = new Set<GatewaySession>();
  private closing = false;

  constructor(readonly deps: { config: Config; log: Logger; workers: LiveWorkers | null }) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Audio received and not yet recognised, over all sessions (bounded by liveMaxBufferedSeconds each). */
  get bufferedBytes(): number {
    let sum = 0;
    for (const s of this.sessions) sum += s.bufferedBytes;
    return sum;
  }

  /** Takes a slot, or says why not. */
  admit(session: GatewaySession): LiveErrorCode | null {
    if (this.closing) return 'server_shutting_down';
    if (this.deps.workers === null || this.deps.config.liveMaxSessions === 0) return 'no_live_capacity';
    if (this.sessions.size >= this.deps.config.liveMaxSessions) return 'session_limit_reached';
    this.sessions.add(session);
    return null;
  }

  release(session: GatewaySession): void {
    this.sessions.delete(session);
  }

  /** Ends every session (error event `server_shutting_down`, close 1001) and refuses new ones. */
  shutdown(): void {
    this.closing = true;
    for (const s of [...this.sessions]) s.fail('server_shutting_down');
  }
}
