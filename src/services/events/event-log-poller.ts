import type { TaskEvent } from '../../core/event.js';
import type { Logger } from '../../core/logger.js';
import type { TaskStore } from '../../store/task.store.js';

export interface PollerOptions {
  /** Delay between polls while nothing is nudging. */
  pollMs?: number;
  /** Events read per query. */
  batchSize?: number;
}

/** Reads per tick at most this many batches, so a backlog cannot starve the loop; the rest follows next tick. */
const MAX_ROUNDS = 20;
/** Longest delay between polls while the store is failing (down, restarting). */
const MAX_BACKOFF_MS = 5_000;

/**
 * Follows the event log from its newest event at start: reads what follows the cursor every
 * `pollMs` (sooner when nudged) and hands each batch, in order, to `onEvents` before moving the
 * cursor past it. Backs off while the store fails. One poll at a time.
 */
export class EventLogPoller {
  private cursor = 0;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private pollAgain = false;
  private started = false;
  private stopped = false;
  private failures = 0;
  private readonly pollMs: number;
  private readonly batchSize: number;

  constructor(
    private readonly store: TaskStore,
    private readonly log: Logger,
    private readonly onEvents: (events: TaskEvent[]) => Promise<void>,
    opts: PollerOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 200;
    this.batchSize = opts.batchSize ?? 500;
  }

  /** Sequence number of the newest event handed on. */
  get position(): number {
    return this.cursor;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.cursor = await this.store.latestEventSeq();
    this.schedule(this.pollMs);
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

  /** Stops polling and waits for a poll in progress. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.polling = this.poll().finally(() => {
        this.polling = null;
        const again = this.pollAgain;
        this.pollAgain = false;
        this.schedule(again ? 0 : Math.min(MAX_BACKOFF_MS, this.pollMs * 2 ** Math.min(this.failures, 5)));
      });
    }, delayMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    try {
      for (let round = 0; round < MAX_ROUNDS && !this.stopped; round++) {
        const events = await this.store.readEvents(this.cursor, this.batchSize);
        if (events.length === 0) break;
        await this.onEvents(events);
        this.cursor = (events[events.length - 1] as TaskEvent).seq;
        if (events.length < this.batchSize) break;
      }
      this.failures = 0;
    } catch (err) {
      this.failures++;
      if (this.failures === 1 || this.failures % 50 === 0) {
        this.log.warn({ err, failures: this.failures }, 'reading the event log failed');
      }
    }
  }
}
