import { ServiceUnavailableError } from '../../core/errors/index.js';
import type { TaskEvent, TaskEventType } from '../../core/event.js';
import type { Logger } from '../../core/logger.js';
import type { Task } from '../../core/task.js';
import type { TaskStore } from '../../store/task.store.js';

/** An event from the log with the current row of its task (null where the type carries none, or the task is gone). */
export interface HubEvent {
  event: TaskEvent;
  task: Task | null;
}

/** A live consumer of events (an SSE stream). */
export interface Subscriber {
  /** Only this user's events; null for an admin, who sees everyone's. */
  readonly userId: string | null;
  /** Only this task's events; null for all. */
  readonly taskId: string | null;
  deliver(ev: HubEvent): void;
  heartbeat(): void;
  /** The server is shutting down: end the stream. */
  close(): void;
}

/** How a `waitForEnd` finished. */
export type WaitOutcome = 'done' | 'error' | 'cancelled' | 'deleted' | 'timeout' | 'aborted' | 'shutdown' | 'busy';

export interface EventHubOptions {
  pollMs?: number;
  batchSize?: number;
  maxSubscribers: number;
  heartbeatMs: number;
  retentionMs: number;
  /** How often old events are pruned. */
  pruneEveryMs?: number;
  /** Newest events always kept by pruning, whatever their age. */
  keepEvents?: number;
  /** Concurrent `?wait=true` requests; beyond it they are answered at once (202). */
  maxWaiters?: number;
}

/** Types whose SSE payload and listeners want the task row. */
const WITH_TASK: ReadonlySet<TaskEventType> = new Set(['created', 'progress', 'retrying', 'done', 'error']);
const ENDS: ReadonlySet<TaskEventType> = new Set(['done', 'error', 'cancelled', 'deleted']);
const TERMINAL_ROW: Record<string, WaitOutcome | undefined> = {
  succeeded: 'done',
  failed: 'error',
  cancelled: 'cancelled',
};

export function matches(sub: Pick<Subscriber, 'userId' | 'taskId'>, ev: TaskEvent): boolean {
  return (sub.userId === null || sub.userId === ev.userId) && (sub.taskId === null || sub.taskId === ev.taskId);
}

/**
 * The one reader of the event log per server. Workers (other processes) append events through the
 * store; a single poller reads them in order (`readEvents(cursor, batch)` every ~200 ms, from the
 * newest event at boot) and fans each one out to SSE subscribers, `?wait=true` waiters and internal
 * listeners (metrics, webhooks). Polling once per server instead of once per client keeps database
 * load independent of how many browsers watch. Every collection here is bounded and emptied on stop.
 */
export class EventHub {
  private readonly subscribers = new Set<Subscriber>();
  private readonly listeners: Array<(ev: HubEvent) => void> = [];
  private readonly waiters = new Map<string, Set<(outcome: WaitOutcome) => void>>();
  private waiterCount = 0;
  private cursor = 0;
  private pollTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private pollAgain = false;
  private stopped = false;
  private started = false;
  private lastPrune = 0;
  private failures = 0;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly pruneEveryMs: number;
  private readonly keepEvents: number;
  private readonly maxWaiters: number;

  constructor(
    private readonly store: TaskStore,
    private readonly log: Logger,
    private readonly opts: EventHubOptions,
  ) {
    this.pollMs = opts.pollMs ?? 200;
    this.batchSize = opts.batchSize ?? 500;
    this.pruneEveryMs = opts.pruneEveryMs ?? Math.min(10 * 60_000, Math.max(1_000, opts.retentionMs / 4));
    this.keepEvents = opts.keepEvents ?? 100_000;
    this.maxWaiters = opts.maxWaiters ?? 1_000;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  get waitingCount(): number {
    return this.waiterCount;
  }

  /** Sequence number of the newest event dispatched. */
  get position(): number {
    return this.cursor;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.cursor = await this.store.latestEventSeq();
    this.lastPrune = Date.now();
    this.schedule(this.pollMs);
    this.heartbeatTimer = setInterval(() => {
      for (const sub of this.subscribers) sub.heartbeat();
    }, this.opts.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  /** Ends every stream and answers every waiter; polling stops. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.pollTimer = null;
    this.heartbeatTimer = null;
    for (const sub of [...this.subscribers]) sub.close();
    this.subscribers.clear();
    for (const set of this.waiters.values()) for (const resolve of [...set]) resolve('shutdown');
    this.waiters.clear();
    await this.polling;
  }

  /** Registers a stream; throws 503 beyond `maxSubscribers`. Returns the unsubscribe function. */
  subscribe(sub: Subscriber): () => void {
    if (this.stopped) throw new ServiceUnavailableError('the server is shutting down');
    if (this.subscribers.size >= this.opts.maxSubscribers) {
      throw new ServiceUnavailableError('too many event streams are open; try again later');
    }
    this.subscribers.add(sub);
    return () => {
      this.subscribers.delete(sub);
    };
  }

  /** Internal consumers (metrics, webhooks) of every event. Must not throw or block. */
  addListener(fn: (ev: HubEvent) => void): void {
    this.listeners.push(fn);
  }

  /** Polls now rather than at the next tick (after a transition made by this server). */
  nudge(): void {
    if (this.stopped || !this.started) return;
    if (this.polling !== null) {
      this.pollAgain = true;
      return;
    }
    this.schedule(0);
  }

  /**
   * Resolves when the task ends (done, error, cancelled, deleted), after `timeoutMs`, when `signal`
   * fires, or at shutdown. Registers before re-reading the row, so an end that happened just before
   * the call is seen too.
   */
  async waitForEnd(taskId: string, timeoutMs: number, signal?: AbortSignal): Promise<WaitOutcome> {
    if (this.stopped) return 'shutdown';
    if (this.waiterCount >= this.maxWaiters) return 'busy';
    let finish: (outcome: WaitOutcome) => void = () => {};
    const outcome = new Promise<WaitOutcome>((resolve) => {
      let set = this.waiters.get(taskId);
      if (!set) {
        set = new Set();
        this.waiters.set(taskId, set);
      }
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      const onAbort = (): void => finish('aborted');
      finish = (o) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const current = this.waiters.get(taskId);
        if (current?.delete(finish)) {
          this.waiterCount--;
          if (current.size === 0) this.waiters.delete(taskId);
        }
        resolve(o);
      };
      set.add(finish);
      this.waiterCount++;
      if (signal?.aborted) finish('aborted');
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const row = await this.store.get(taskId, { admin: true });
      if (row === null) finish('deleted');
      else {
        const ended = TERMINAL_ROW[row.status];
        if (ended) finish(ended);
      }
    } catch (err) {
      finish('aborted');
      throw err;
    }
    return outcome;
  }

  /** Loads the rows the given events need (one read per task), for dispatch and for SSE replay. */
  async withTasks(events: readonly TaskEvent[], want: (ev: TaskEvent) => boolean): Promise<HubEvent[]> {
    const ids = new Set<string>();
    for (const ev of events) if (WITH_TASK.has(ev.type) && want(ev)) ids.add(ev.taskId);
    const rows = new Map<string, Task | null>();
    await Promise.all(
      [...ids].map(async (id) => {
        rows.set(id, await this.store.get(id, { admin: true }));
      }),
    );
    return events.map((event) => ({ event, task: rows.get(event.taskId) ?? null }));
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      this.polling = this.poll().finally(() => {
        this.polling = null;
        const again = this.pollAgain;
        this.pollAgain = false;
        // Back off while the store is failing (down, restarting), up to 5 s.
        this.schedule(again ? 0 : Math.min(5_000, this.pollMs * 2 ** Math.min(this.failures, 5)));
      });
    }, delayMs);
    this.pollTimer.unref();
  }

  private async poll(): Promise<void> {
    try {
      // Bounded catch-up per tick so a backlog cannot starve the loop; the rest follows next tick.
      for (let round = 0; round < 20 && !this.stopped; round++) {
        const events = await this.store.readEvents(this.cursor, this.batchSize);
        if (events.length === 0) break;
        await this.dispatch(events);
        this.cursor = (events[events.length - 1] as TaskEvent).seq;
        if (events.length < this.batchSize) break;
      }
      this.failures = 0;
      if (Date.now() - this.lastPrune >= this.pruneEveryMs) {
        this.lastPrune = Date.now();
        const removed = await this.store.pruneEvents(Date.now() - this.opts.retentionMs, this.keepEvents);
        if (removed > 0) this.log.debug({ removed }, 'pruned old events');
      }
    } catch (err) {
      this.failures++;
      if (this.failures === 1 || this.failures % 50 === 0) {
        this.log.warn({ err, failures: this.failures }, 'reading the event log failed');
      }
    }
  }

  private async dispatch(events: TaskEvent[]): Promise<void> {
    const hasListeners = this.listeners.length > 0;
    const batch = await this.withTasks(
      events,
      (ev) => (hasListeners && ENDS.has(ev.type)) || this.anySubscriberFor(ev),
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
      if (ENDS.has(he.event.type)) {
        const set = this.waiters.get(he.event.taskId);
        if (set) for (const finish of [...set]) finish(he.event.type as WaitOutcome);
      }
      for (const sub of this.subscribers) if (matches(sub, he.event)) sub.deliver(he);
    }
  }

  private anySubscriberFor(ev: TaskEvent): boolean {
    for (const sub of this.subscribers) if (matches(sub, ev)) return true;
    return false;
  }
}
