import type { Config } from '../config/config.js';
import { NotFoundError } from '../core/errors/index.js';
import type { User } from '../core/user.js';
import type { WebhookDelivery } from '../core/webhook.js';
import type { Scope, TaskStore } from '../store/task.store.js';

/** The delivery log a task shows: one delivery per end event, so a handful unless retried very often. */
export const MAX_LISTED_DELIVERIES = 100;

export interface WebhookServiceDeps {
  config: Pick<Config, 'webhookMaxAttempts'>;
  store: TaskStore;
}

/**
 * Webhook use cases behind the HTTP routes: a task's delivery log (visible as its task is: a
 * foreign task's log is as missing as the task) and the caller's signing secret.
 */
export class WebhookService {
  constructor(private readonly deps: WebhookServiceDeps) {}

  get maxAttempts(): number {
    return this.deps.config.webhookMaxAttempts;
  }

  /** The task's deliveries, oldest first; 404 when the task is not visible. */
  async deliveries(taskId: string, scope: Scope): Promise<WebhookDelivery[]> {
    const { store } = this.deps;
    if ((await store.get(taskId, scope)) === null) throw new NotFoundError();
    return store.listWebhookDeliveries(taskId, MAX_LISTED_DELIVERIES);
  }

  /** The secret the caller's callbacks are signed with. */
  async secret(user: User): Promise<string> {
    return this.present(await this.deps.store.webhookSecret(user.id));
  }

  /** A new secret; tries from now on are signed with it (those in flight keep the old one). */
  async rotate(user: User): Promise<string> {
    return this.present(await this.deps.store.rotateWebhookSecret(user.id));
  }

  /** An authenticated user always has a row; a null means it was removed meanwhile. */
  private present(secret: string | null): string {
    if (secret === null) throw new NotFoundError('user');
    return secret;
  }
}
