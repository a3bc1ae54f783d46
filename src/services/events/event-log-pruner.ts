import type { Logger } from '../../core/logger.js';
import type { TaskStore } from '../../store/task.store.js';

export interface PrunerOptions {
  /** Events older than this are removed. */
  retentionMs: number;
  /** How often old events are pruned. */
  everyMs?: number;
  /** The most events kept: older ones go even inside the retention. */
  keepEvents?: number;
}

/**
 * Keeps the event log bounded: every `everyMs`, drops events past the retention (the SSE resume
 * window) and all but the newest `keepEvents`. One prune at a time; a failure is logged and the
 * next tick tries again.
 */
export class EventLogPruner {
  private timer: NodeJS.Timeout | null = null;
  private pruning: Promise<void> | null = null;
  private stopped = false;
  private readonly everyMs: number;
  private readonly keepEvents: number;

  constructor(
    private readonly store: TaskStore,
    private readonly log: Logger,
    private readonly opts: PrunerOptions,
  ) {
    this.everyMs = opts.everyMs ?? Math.min(10 * 60_000, Math.max(1_000, opts.retentionMs / 4));
    this.keepEvents = opts.keepEvents ?? 100_000;
  }

  start(): void {
    if (this.stopped || this.timer || this.pruning) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pruning = this.prune().finally(() => {
        this.pruning = null;
        this.start();
      });
    }, this.everyMs);
    this.timer.unref();
  }

  /** Stops pruning and waits for a prune in progress. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.pruning;
  }

  private async prune(): Promise<void> {
    try {
      const removed = await this.store.pruneEvents(Date.now() - this.opts.retentionMs, this.keepEvents);
      if (removed > 0) this.log.debug({ removed }, 'pruned old events');
    } catch (err) {
      this.log.warn({ err }, 'pruning the event log failed');
    }
  }
}
