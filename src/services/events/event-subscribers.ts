import { ServiceUnavailableError } from '../../core/errors/index.js';
import type { TaskEvent } from '../../core/event.js';
import { type EventFilter, type HubEvent, matches } from './hub-event.js';

/** A live consumer of events (an SSE stream). */
export interface Subscriber {
  deliver(he: HubEvent): void;
  heartbeat(): void;
  /** The server is shutting down: end the stream. */
  close(): void;
}

export interface SubscriberOptions {
  maxSubscribers: number;
  heartbeatMs: number;
}

/**
 * The open streams: a bounded set, each with its filter, fed every matching event and a heartbeat
 * so proxies keep idle connections open. Emptied by `closeAll`, after which nobody may subscribe.
 */
export class EventSubscribers {
  private readonly subscribers = new Map<Subscriber, EventFilter>();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly opts: SubscriberOptions) {}

  get count(): number {
    return this.subscribers.size;
  }

  startHeartbeat(): void {
    if (this.closed || this.heartbeatTimer) return;
    this.heartbeatTimer = setInterval(() => {
      for (const sub of this.subscribers.keys()) sub.heartbeat();
    }, this.opts.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  /** Registers a stream; throws 503 beyond `maxSubscribers` or once closed. Returns the unsubscribe function. */
  add(filter: EventFilter, sub: Subscriber): () => void {
    if (this.closed) throw new ServiceUnavailableError('the server is shutting down');
    if (this.subscribers.size >= this.opts.maxSubscribers) {
      throw new ServiceUnavailableError('too many event streams are open; try again later');
    }
    this.subscribers.set(sub, filter);
    return () => {
      this.subscribers.delete(sub);
    };
  }

  /** Whether any stream would receive the event (its task row is read only then). */
  wants(ev: TaskEvent): boolean {
    for (const filter of this.subscribers.values()) if (matches(filter, ev)) return true;
    return false;
  }

  deliver(he: HubEvent): void {
    for (const [sub, filter] of this.subscribers) if (matches(filter, he.event)) sub.deliver(he);
  }

  /** Ends every stream and refuses new ones. Idempotent. */
  closeAll(): void {
    this.closed = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    for (const sub of [...this.subscribers.keys()]) sub.close();
    this.subscribers.clear();
  }
}
