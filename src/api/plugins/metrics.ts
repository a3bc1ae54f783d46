import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { TASK_END_STATUS } from '../../core/event.js';
import type { Logger } from '../../core/logger.js';
import { TASK_STATUSES } from '../../core/task.js';
import type { HubEvent } from '../../services/events/hub-event.js';
import type { TaskStore } from '../../store/task.store.js';
import type { SupervisorView } from '../../worker/supervisor.types.js';

export interface MetricsDeps {
  store: TaskStore;
  log: Logger;
  supervisor?: SupervisorView;
  /** Live gauges read at scrape time. */
  sseClients: () => number;
  /** Live sessions holding a slot on this server. */
  liveSessions?: () => number;
  /** Live audio received and not yet recognised, bytes. */
  liveBufferedBytes?: () => number;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * One Prometheus registry per app instance (tests run several apps in one process). Queue depth is
 * read from the store when scraped; durations, failures and retries are fed by the event hub, so
 * they count work done by every worker process, not only this one.
 */
export function createMetrics(deps: MetricsDeps) {
  const registry = new Registry();
  // Unprefixed process_* and nodejs_* names, as standard dashboards expect.
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'earshot_tasks',
    help: 'Tasks by status (queue depth is status="queued").',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      try {
        const counts = await withTimeout(deps.store.countByStatus(), 2_000);
        for (const s of TASK_STATUSES) this.set({ status: s }, counts[s]);
      } catch (err) {
        deps.log.warn({ err }, 'metrics: counting tasks failed');
      }
    },
  });
  const durations = new Histogram({
    name: 'earshot_task_duration_seconds',
    help: 'Wall-clock time of finished tasks from the start of their last attempt.',
    labelNames: ['outcome'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400],
    registers: [registry],
  });
  const audio = new Counter({
    name: 'earshot_audio_seconds_total',
    help: 'Seconds of audio in tasks that succeeded.',
    registers: [registry],
  });
  const failures = new Counter({
    name: 'earshot_task_failures_total',
    help: 'Tasks that failed for good, by error code.',
    labelNames: ['code'],
    registers: [registry],
  });
  const retries = new Counter({
    name: 'earshot_task_retries_total',
    help: 'Tasks put back in the queue after a failed attempt or by a user retry.',
    registers: [registry],
  });
  const supervisor = deps.supervisor;
  let restartsSeen = 0;
  new Counter({
    name: 'earshot_worker_restarts_total',
    help: 'Worker processes restarted by the supervisor.',
    registers: [registry],
    collect() {
      const total = supervisor?.restartCount ?? 0;
      if (total > restartsSeen) this.inc(total - restartsSeen);
      restartsSeen = Math.max(restartsSeen, total);
    },
  });
  new Gauge({
    name: 'earshot_workers',
    help: 'Supervised worker processes by state.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const w of supervisor?.workers() ?? []) this.inc({ state: w.state });
    },
  });
  new Gauge({
    name: 'earshot_sse_clients',
    help: 'Open Server-Sent Events streams.',
    registers: [registry],
    collect() {
      this.set(deps.sseClients());
    },
  });
  new Gauge({
    name: 'earshot_live_sessions',
    help: 'Live (/v1/realtime) sessions holding a slot.',
    registers: [registry],
    collect() {
      this.set(deps.liveSessions?.() ?? 0);
    },
  });
  new Gauge({
    name: 'earshot_live_buffered_bytes',
    help: 'Live audio received from clients and not yet recognised.',
    registers: [registry],
    collect() {
      this.set(deps.liveBufferedBytes?.() ?? 0);
    },
  });
  new Gauge({
    name: 'earshot_webhooks_pending',
    help: 'Task callbacks waiting to be sent, backing off or being sent, by every server sharing the store.',
    registers: [registry],
    async collect() {
      try {
        const counts = await withTimeout(deps.store.countWebhookDeliveries(), 2_000);
        this.set(counts.pending + counts.sending);
      } catch (err) {
        deps.log.warn({ err }, 'metrics: counting webhook deliveries failed');
      }
    },
  });

  /**
   * Event-hub listener. The row is read after the event, so it may have moved on (a user retried a
   * failed task): times are taken from the event itself, and the error code from its payload.
   */
  function onEvent({ event, task }: HubEvent): void {
    switch (event.type) {
      case 'done':
      case 'error': {
        const outcome = TASK_END_STATUS[event.type];
        const started = task?.startedAt ?? null;
        if (started !== null && started <= event.createdAt) {
          durations.observe({ outcome }, (event.createdAt - started) / 1000);
        }
        if (event.type === 'done' && task?.durationSeconds != null) audio.inc(task.durationSeconds);
        if (event.type === 'error') failures.inc({ code: event.data.errorCode ?? task?.errorCode ?? 'unknown' });
        break;
      }
      case 'retrying':
        retries.inc();
        break;
      default:
        break;
    }
  }

  return { registry, onEvent };
}
export type Metrics = ReturnType<typeof createMetrics>;
