/**
 * The real service as separate OS processes: `node bin/earshot.js serve` (built CLI; `npm run build`
 * first) on a free loopback port with its own temp data directory and environment, its supervised
 * worker processes and their engine processes. Tests kill these processes for real and restart the
 * server on the same data directory. Every wait polls a condition with a deadline; none is a fixed sleep.
 *
 * Set EARSHOT_TEST_LOG=1 to copy the service's log lines to the test's stderr.
 *
 * options.ts: settings and view types; server-process.ts: the server process and its log;
 * service.ts: the HTTP API and store inspection; event-stream.ts: the SSE client and parser;
 * processes.ts: pids and exits of the processes a service started; cli-process.ts: standalone CLI
 * processes (`earshot worker` without a supervisor); process-log.ts: a process's JSON log;
 * webhook-receiver.ts: a loopback server recording callbacks.
 */
export type { TaskView } from '../../../src/api/schemas/task.schema.js';
export { CliProcess, nodeCommand, serviceEnv, startWorker, type WorkerOptions } from './cli-process.js';
export { EventStream, type SseEvent } from './event-stream.js';
export {
  E2E_ENV,
  type ExitInfo,
  type ProcessHost,
  type ServiceOptions,
  type TranscriptJson,
  type User,
  type WorkerView,
} from './options.js';
export { ProcessLog } from './process-log.js';
export { childPids, listeningUrl, processAlive, waitForExit, within } from './processes.js';
export { Service, startService } from './service.js';
export {
  type Answer,
  type Delivery,
  startWebhookReceiver,
  verifyDelivery,
  type WebhookReceiver,
} from './webhook-receiver.js';
