import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Dispatcher } from 'undici';
import type { Config } from '../config/config.js';
import { mapConcurrent } from '../core/async/map-concurrent.js';
import type { Logger } from '../core/logger.js';
import type { WebhookDelivery, WebhookRetryPolicy } from '../core/webhook.js';
import type { TaskStore } from '../store/task.store.js';
import { postWebhook, type WebhookPostOutcome } from './webhook-post.js';

export interface WebhookSenderDeps {
  config: Pick<
    Config,
    | 'allowPrivateNetworks'
    | 'webhookMaxAttempts'
    | 'webhookTimeoutMs'
    | 'webhookBaseDelayMs'
    | 'webhookPollMs'
    | 'webhookConcurrency'
  >;
  store: TaskStore;
  dispatcher: Dispatcher;
  log: Logger;
}

/** A wait shorter than this is rounded up: a claim that lost a race for a due row does not spin. */
const MIN_IDLE_MS = 25;

/**
 * Sends task-finished callbacks from the store's outbox (rows the store writes with each `done` or
 * `error` event). Every API server runs one; the claim's lease makes exactly one of them send each
 * try, and a server that dies mid-try leaves a lease that expires, after which any server (itself,
 * restarted) sends it again. So a callback survives restarts and is sent once per deployment, not
 * once per server; a receiver that answered but whose answer was lost with the server may see a
 * try twice, with the same `webhook-id`.
 *
 * Claims only as many deliveries as it has free send slots (EARSHOT_WEBHOOK_CONCURRENCY), so no
 * claimed row waits behind another's send. Idle, it sleeps until the next delivery falls due (a
 * retry's backoff, an expired lease) or EARSHOT_WEBHOOK_POLL_MS, whichever is sooner; `wake()` (a
 * task ended) looks at once.
 */
export class WebhookSender {
  readonly id = `hooks-${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly log: Logger;
  private readonly policy: WebhookRetryPolicy;
  /**
   * A try can outlast its time limit only by the store writes around it; a lease twice as long
   * keeps another server from sending the same delivery while this one still might.
   */
  private readonly leaseMs: number;
  private readonly stopping = new AbortController();
  private readonly abortTries = new AbortController();
  private loop: Promise<void> | null = null;
  /** Deliveries claimed and not yet recorded; never above the concurrency. */
  private active = 0;
  private wakeUp: (() => void) | null = null;
  /** A wake() that came while the loop was busy: its next wait returns at once. */
  private woken = false;

  constructor(private readonly deps: WebhookSenderDeps) {
    const { config } = deps;
    this.log = deps.log.child({ component: 'webhooks', sender: this.id });
    this.policy = { maxAttempts: config.webhookMaxAttempts, baseDelayMs: config.webhookBaseDelayMs };
    this.leaseMs = 2 * config.webhookTimeoutMs + 2_000;
  }

  start(): void {
    if (this.loop !== null) return;
    this.loop = this.sendAll().catch((err: unknown) => this.log.error({ err }, 'webhook sender stopped'));
  }

  /** Looks for due deliveries now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /**
   * Stops claiming and gives the tries in flight up to `graceMs` (and their own time limit) to end,
   * then aborts them; each is recorded either way (an aborted one as a failed try, retried later),
   * so none is left to wait out its lease.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping.abort();
    this.wakeUp?.();
    const deadline = setTimeout(() => this.abortTries.abort(), graceMs);
    try {
      await this.loop;
    } finally {
      clearTimeout(deadline);
    }
  }

  private async sendAll(): Promise<void> {
    const sends = mapConcurrent(this.claims(), (d) => this.send(d), {
      concurrency: this.deps.config.webhookConcurrency,
    });
    for await (const _ of sends) {
      // Each send records its own outcome in the store.
    }
  }

  /** Claimed deliveries, as many as there are free slots (mapConcurrent pulls one per free slot). */
  private async *claims(): AsyncGenerator<WebhookDelivery> {
    const { store, config } = this.deps;
    while (!this.stopping.signal.aborted) {
      this.woken = false;
      const free = config.webhookConcurrency - this.active;
      if (free <= 0) {
        // Not expected (mapConcurrent pulls only for a free slot); a guard so the bound holds regardless.
        await this.idle(config.webhookPollMs);
        continue;
      }
      const batch = await store
        .claimWebhookDeliveries(this.id, this.leaseMs, free, this.policy)
        .catch((err: unknown) => {
          this.log.warn({ err }, 'webhook claim failed');
          return null;
        });
      if (batch === null) {
        await this.idle(config.webhookPollMs);
        continue;
      }
      for (const delivery of batch) {
        this.active++;
        yield delivery;
      }
      // A full batch: more may be due (this generator resumes only once a slot is free again).
      if (batch.length === free) continue;
      await this.idle(await this.untilDue());
    }
  }

  /** Time until the next delivery falls due, at most the poll interval. */
  private async untilDue(): Promise<number> {
    const { store, config } = this.deps;
    const dueAt = await store.nextWebhookDueAt().catch((err: unknown) => {
      this.log.warn({ err }, 'webhook due-time read failed');
      return null;
    });
    const until = dueAt === null ? config.webhookPollMs : dueAt - Date.now();
    return Math.min(config.webhookPollMs, Math.max(MIN_IDLE_MS, until));
  }

  private idle(ms: number): Promise<void> {
    if (this.woken || this.stopping.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /** One try, from claim to its recorded outcome. Never rejects. */
  private async send(delivery: WebhookDelivery): Promise<void> {
    const { store, config } = this.deps;
    const log = this.log.child({ taskId: delivery.taskId, webhookId: delivery.id, attempt: delivery.attempts });
    try {
      const secret = await store.webhookSecret(delivery.userId);
      const outcome: WebhookPostOutcome =
        secret === null
          ? { ok: false, failure: { httpStatus: null, error: 'the task has no owner to sign for', final: true } }
          : await postWebhook(delivery, secret, {
              dispatcher: this.deps.dispatcher,
              allowPrivate: config.allowPrivateNetworks,
              timeoutMs: config.webhookTimeoutMs,
              signal: this.abortTries.signal,
            });
      if (outcome.ok) {
        const recorded = await store.completeWebhookDelivery(delivery.id, this.id, outcome.httpStatus);
        log.info({ status: outcome.httpStatus, recorded: recorded !== null }, 'webhook delivered');
        return;
      }
      const after = await store.failWebhookDelivery(delivery.id, this.id, outcome.failure, this.policy);
      if (after?.status === 'pending') {
        log.info(
          { status: outcome.failure.httpStatus, retryAt: after.runAt },
          `webhook try failed: ${outcome.failure.error}`,
        );
        // The idle wait may have been computed before this retry existed.
        this.wake();
      } else {
        log.warn(
          { status: outcome.failure.httpStatus, recorded: after !== null },
          `webhook failed: ${outcome.failure.error}`,
        );
      }
    } catch (err) {
      log.error({ err }, 'could not record a webhook try; its lease will expire and it will be sent again');
    } finally {
      this.active--;
    }
  }
}
