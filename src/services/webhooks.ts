import type { Dispatcher } from 'undici';
import { request } from 'undici';
import { TASK_END_STATUS } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { HubEvent } from './events/hub-event.js';
import { checkOutboundUrl } from './net-guard.js';

/** Ends that are reported (a cancel is the caller's own doing, so it is not). */
type ReportedEnd = 'done' | 'error';

export interface WebhookPayload {
  id: string;
  status: (typeof TASK_END_STATUS)[ReportedEnd];
}

export interface WebhookOptions {
  allowPrivate: boolean;
  dispatcher: Dispatcher;
  log: Logger;
  /** Per-try time limit (connect + response). */
  timeoutMs?: number;
  maxTries?: number;
  /** Delay before the second try; doubles after each failure. */
  baseDelayMs?: number;
  /** Deliveries waiting or in flight; beyond it new ones are dropped (and logged). */
  maxQueue?: number;
  /** Deliveries in flight at once. */
  concurrency?: number;
}

interface Delivery {
  url: string;
  payload: WebhookPayload;
  tries: number;
}

/**
 * Sends task-finished callbacks. In memory and best effort: a bounded queue, a few concurrent
 * sends, exponential backoff between tries, and a drop (logged) when the queue is full or the tries
 * are used up. Deliveries pending at shutdown are abandoned; the task row remains the source of truth.
 */
export class WebhookSender {
  private readonly queue: Delivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private waiting = 0;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly maxTries: number;
  private readonly baseDelayMs: number;
  private readonly maxQueue: number;
  private readonly concurrency: number;

  constructor(private readonly opts: WebhookOptions) {
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.maxTries = opts.maxTries ?? 5;
    this.baseDelayMs = opts.baseDelayMs ?? 1_000;
    this.maxQueue = opts.maxQueue ?? 1_000;
    this.concurrency = opts.concurrency ?? 4;
  }

  /** Deliveries queued, backing off or in flight. */
  get pending(): number {
    return this.queue.length + this.waiting + this.inFlight.size;
  }

  /** Event-hub listener: queues the callback of a task that succeeded or failed for good. */
  readonly onEvent = ({ event, task }: HubEvent): void => {
    if ((event.type === 'done' || event.type === 'error') && task?.callbackUrl) {
      this.send(task.callbackUrl, { id: task.id, status: TASK_END_STATUS[event.type] });
    }
  };

  send(url: string, payload: WebhookPayload): void {
    if (this.closed) return;
    if (this.pending >= this.maxQueue) {
      this.opts.log.warn({ taskId: payload.id, url }, 'webhook queue full; callback dropped');
      return;
    }
    this.queue.push({ url, payload, tries: 0 });
    this.pump();
  }

  /** Stops new sends and retries, and waits (briefly) for sends in flight. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.waiting = 0;
    this.queue.length = 0;
    await Promise.allSettled([...this.inFlight]);
  }

  private pump(): void {
    while (!this.closed && this.inFlight.size < this.concurrency && this.queue.length > 0) {
      const d = this.queue.shift() as Delivery;
      const p = this.attempt(d).finally(() => {
        this.inFlight.delete(p);
        this.pump();
      });
      this.inFlight.add(p);
    }
  }

  private async attempt(d: Delivery): Promise<void> {
    d.tries++;
    const log = this.opts.log.child({ taskId: d.payload.id, try: d.tries });
    try {
      await checkOutboundUrl(d.url, this.opts.allowPrivate, 'callback_url');
      const res = await request(d.url, {
        method: 'POST',
        dispatcher: this.opts.dispatcher,
        headers: { 'content-type': 'application/json', 'user-agent': 'earshot' },
        body: JSON.stringify(d.payload),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) {
        log.debug({ status: res.statusCode }, 'webhook delivered');
        return;
      }
      throw new Error(`receiver answered HTTP ${res.statusCode}`);
    } catch (err) {
      if (this.closed) return;
      if (d.tries >= this.maxTries) {
        log.warn({ err }, 'webhook failed; giving up');
        return;
      }
      const delay = this.baseDelayMs * 2 ** (d.tries - 1);
      log.info({ err: (err as Error).message, delayMs: delay }, 'webhook failed; will retry');
      this.waiting++;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.waiting--;
        this.queue.push(d);
        this.pump();
      }, delay);
      timer.unref();
      this.timers.add(timer);
    }
  }
}
