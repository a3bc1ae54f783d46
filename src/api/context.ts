import type { Config } from '../config/config.js';
import type { Logger } from '../core/logger.js';
import type { TaskService } from '../services/task.service.js';
import type { TaskStore } from '../store/task.store.js';
import type { SupervisorView } from '../worker/supervisor.types.js';
import type { EventHub } from './events/event-hub.js';
import type { Metrics } from './plugins/metrics.js';

/** What route plugins share: built once per app by buildApp. */
export interface ApiContext {
  config: Config;
  store: TaskStore;
  log: Logger;
  tasks: TaskService;
  hub: EventHub;
  metrics: Metrics;
  supervisor: SupervisorView | undefined;
  /** Longest a `?wait=true` request waits before answering 202. */
  syncWaitTimeoutMs: number;
  /** Flipped when the server starts closing; /ready then answers 503. */
  state: { shuttingDown: boolean };
}
