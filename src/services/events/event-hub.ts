import { endsTask, type TaskEvent } from '../../core/event.js';
import type { Logger } from '../../core/logger.js';
import type { TaskStore } from '../../store/task.store.js';
import { EventLogPoller } from './event-log-poller.js';
import { EventLogPruner } from './event-log-pruner.js';
import { EventSubscribers, type Subscriber } from './event-subscribers.js';
import { type EventFilter, type HubEvent, withTasks } from './hub-event.js';
import { TaskEndWaiters, type WaitOutcome } from './task-end-waiters.js';

export interface EventHubOptions {
  pollMs?: number;
  batchSize?: number;
  maxSubscribers: number;
  heartbeatMs: number;
  retentionMs: number;
  /** How often old events are pruned. */
  pruneEveryMs?: number;
  /** The most events kept by pruning: older ones go even inside the retention. */
  keepEvents?: number;
  /** Concurrent `?wait=true` requests; beyond it they are answered at once (202). */
  maxWaiters?: number;
}

/**
 * The one reader of the event log per server. Workers (other processes) append events through the
 * store; one poller reads them in order and the hub hands each, with its task row where needed, to
 * internal listeners (metrics, webhooks), to the requests waiting for its task to end and to the
 * SSE streams whose filter it matches. Polling once per server instead of once per client keeps
 * database load independent of how many browsers watch. Every part is bounded and emptied on stop.
 */
export class EventHub {
  private readonly listeners: Array<(ev: HubEvent) => void> = [];
  private readonly subscribers: EventSubscribers;
  private readonly waiters: TaskEndWaiters;
  private readonly poller: EventLogPoller;
  private readonly pruner: EventLogPruner;
  private stopped = false;

  constructor(
    private readonly store: TaskStore,
    private readonly log: Logger,
    opts: EventHubOptions,
  ) {
    this.subscribers = new EventSubscribers(opts);
    this.waiters = new TaskEndWaiters(store, opts.maxWaiters ?? 1_000);
    this.poller = new EventLogPoller(store, log, (events) => this.dispatch(events), {
      ...(opts.pollMs === undefined ? {} : { pollMs: opts.pollMs }),
      ...(opts.batchSize === undefined ? {} : { batchSize: opts.batchSize }),
    });
    this.pruner = new EventLogPruner(store, log, {
      retentionMs: opts.retentionMs,
      ...(opts.pruneEveryMs === undefined ? {} : { everyMs: opts.pruneEveryMs }),
      ...(opts.keepEvents === undefined ? {} : { keepEvents: opts.keepEvents }),
    });
  }

  get subscriberCount(): number {
    return this.subscribers.count;
  }

  get waitingCount(): number {
    return this.waiters.count;
  }

  /** Sequence number of the newest event dispatched. */
  get position(): number {
    return this.poller.position;
  }

  async start(): Promise<void> {
    await this.poller.start();
    this.pruner.start();
    this.subscribers.startHeartbeat();
  }

  /** Ends every stream and answers every waiter; polling and pruning stop. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.subscribers.closeAll();
    this.waiters.closeAll();
    await Promise.all([this.poller.stop(), this.pruner.stop()]);
  }

  /** Registers a stream for the events `filter` matches; throws 503 when full. Returns the unsubscribe function. */
  subscribe(filter: EventFilter, sub: Subscriber): () => void {
    return this.subscribers.add(filter, sub);
  }

  /** Internal consumers (metrics, webhooks) of every event. Must not throw or block. */
  addListener(fn: (ev: HubEvent) => void): void {
    this.listeners.push(fn);
  }

  /** Polls now rather than at the next tick (after a transition made by this server). */
  nudge(): void {
    this.poller.nudge();
  }

  /** See TaskEndWaiters.wait. */
  waitForEnd(taskId: string, timeoutMs: number, signal?: AbortSignal): Promise<WaitOutcome> {
    return this.waiters.wait(taskId, timeoutMs, signal);
  }

  /** Pairs events with their task rows, for SSE replay (see withTasks). */
  withTasks(events: readonly TaskEvent[]): Promise<HubEvent[]> {
    return withTasks(this.store, events, () => true);
  }

  private async dispatch(events: TaskEvent[]): Promise<void> {
    const hasListeners = this.listeners.length > 0;
    const batch = await withTasks(
      this.store,
      events,
      (ev) => (hasListeners && endsTask(ev.type)) || this.subscribers.wants(ev),
    );
    for (const he of batch) {
      if (this.stopped) return;
      for (const fn of this.listeners) {
        try {
          fn(he);
        } catch (err) {
          this.log.error({ err }, 'event listener failed');
        }
      }
      this.waiters.onEvent(he.event);
      this.subscribers.deliver(he);
    }
  }
}

export type { EventFilter, HubEvent, Subscriber, WaitOutcome };
