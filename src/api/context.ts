import type { Config } from '../config/config.js';
import type { Logger } from '../core/logger.js';
import type { ArtifactService } from '../services/artifact.service.js';
import type { EventStreamService } from '../services/event-stream.service.js';
import type { TaskService } from '../services/task.service.js';
import type { TaskWaitService } from '../services/task-wait.service.js';
import type { WebhookService } from '../services/webhook.service.js';
import type { MediaStore } from '../storage/media-store.js';
import type { TaskStore } from '../store/task.store.js';
import type { SupervisorView } from '../worker/supervisor.types.js';
import type { Metrics } from './plugins/metrics.js';

/** What route plugins share: built once per app by buildApp. */
export interface ApiContext {
  config: Config;
  store: TaskStore;
  log: Logger;
  tasks: TaskService;
  /** Summaries and polished transcripts (LLM post-processing). */
  artifacts: ArtifactService;
  /** `?wait=true` on task creation. */
  waits: TaskWaitService;
  /** Server-Sent Events: snapshot, replay, live. */
  streams: EventStreamService;
  /** Task callbacks' delivery log and the caller's signing secret. */
  webhooks: WebhookService;
  metrics: Metrics;
  supervisor: SupervisorView | undefined;
  /** Flipped when the server starts closing; /ready then answers 503. */
  state: { shuttingDown: boolean };
  /** Where task inputs and saved live sessions are kept. */
  media: MediaStore;
}
