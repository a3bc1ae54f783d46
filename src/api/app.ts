import fastifyMultipart from '@fastify/multipart';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, LogController } from 'fastify';
import { type Config, llmEnabled, timeBudgetSeconds } from '../config/config.js';
import type { Logger } from '../core/logger.js';
import type { User } from '../core/user.js';
import { LiveGateway } from '../live/live-gateway.js';
import type { LiveWorkers } from '../live/live-workers.js';
import { PostprocessRunner } from '../postprocess/postprocess-runner.js';
import { ArtifactService } from '../services/artifact.service.js';
import { EventStreamService } from '../services/event-stream.service.js';
import { EventHub } from '../services/events/event-hub.js';
import { createOutboundAgent } from '../services/net-guard.js';
import { type ProbeFn, TaskService } from '../services/task.service.js';
import { TaskWaitService } from '../services/task-wait.service.js';
import { WebhookService } from '../services/webhook.service.js';
import { WebhookSender } from '../services/webhook-sender.js';
import { createMediaStore } from '../storage/create-media-store.js';
import type { MediaStore } from '../storage/media-store.js';
import type { TaskStore } from '../store/task.store.js';
import type { SupervisorView } from '../worker/supervisor.types.js';
import type { ApiContext } from './context.js';
import { assertAuthModeSafe, ensureLocalUser, installAuth } from './plugins/auth.js';
import { trackConnections } from './plugins/connections.js';
import { installErrorHandler, installNotFoundHandler } from './plugins/error-handler.js';
import { createMetrics } from './plugins/metrics.js';
import { openApiOptions } from './plugins/openapi.js';
import { findWebRoot, webUi } from './plugins/web-ui.js';
import { selectProtocol } from './plugins/websocket.js';
import { healthRoutes } from './routes/health.routes.js';
import { adminRoutes } from './routes/v1/admin.routes.js';
import { artifactRoutes } from './routes/v1/artifact.routes.js';
import { capabilityRoutes } from './routes/v1/capabilities.routes.js';
import { eventRoutes } from './routes/v1/events.routes.js';
import { libraryRoutes } from './routes/v1/library.routes.js';
import { openAiRoutes } from './routes/v1/openai/openai.routes.js';
import { realtimeRoutes } from './routes/v1/realtime.routes.js';
import { searchRoutes } from './routes/v1/search.routes.js';
import { taskContentRoutes } from './routes/v1/task-content.routes.js';
import { taskRoutes } from './routes/v1/tasks.routes.js';
import { transcriptEditRoutes } from './routes/v1/transcript-edit.routes.js';
import { webhookRoutes } from './routes/v1/webhook.routes.js';

export interface AppDeps {
  config: Config;
  store: TaskStore;
  log: Logger;
  /**
   * Where task inputs are kept; default: the one EARSHOT_MEDIA_STORE names, made here and closed
   * with the app (one passed in is the caller's to close).
   */
  media?: MediaStore;
  /** The worker supervisor when this process runs one (`/v1/admin/*` answer 503 without it). */
  supervisor?: SupervisorView;
  /** Where live sessions run (the supervisor's workers); without it `/v1/realtime` refuses sessions. */
  liveWorkers?: LiveWorkers;
  /** Probes a stored input (default: ffprobe via src/audio/probe.ts); rejects with BadAudioError for non-audio. */
  probe?: ProbeFn;
  /**
   * Directory of the built web UI served at `/`; default: dist/web when it has been built; null: no UI.
   */
  webRoot?: string | null;
  /** Tuning knobs tests turn down; production uses the defaults. */
  tuning?: {
    eventPollMs?: number;
    syncWaitTimeoutMs?: number;
    /** How often an idle post-processing runner looks for queued summaries and polishes. */
    llmPollMs?: number;
  };
}

const defaultProbe: ProbeFn = async (file) => {
  const { probeMedia } = await import('../audio/probe.js');
  return probeMedia(file);
};

/** Query parameters never written to logs. */
const redactUrl = (url: string): string => url.replace(/([?&](?:access_)?token=)[^&]*/gi, '$1[redacted]');

/**
 * Builds the HTTP API (not listening yet). Throws at once for an unsafe configuration
 * (EARSHOT_AUTH=none on a non-loopback host). Starting (`ready`/`listen`) creates the `local` user
 * in auth=none mode and starts the event hub and, with an LLM server configured, the summary/polish
 * runner and the webhook sender; `close()` ends open event streams and waits (runs and webhook tries in flight
 * up to the shutdown grace), so it never hangs on a client.
 */
export function buildApp(deps: AppDeps): FastifyInstance {
  const { config, store } = deps;
  assertAuthModeSafe(config);
  const log = deps.log.child({ component: 'api' });
  const tuning = deps.tuning ?? {};

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // Requests are logged by the onResponse hook below, with access tokens redacted from URLs.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Validation errors are answered by the one error handler; coercion is for query strings.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });

  const ownsMedia = deps.media === undefined;
  const media = deps.media ?? createMediaStore(config, { log });
  const outbound = createOutboundAgent(config.allowPrivateNetworks);
  const hub = new EventHub(store, log.child({ component: 'events' }), {
    ...(tuning.eventPollMs === undefined ? {} : { pollMs: tuning.eventPollMs }),
    maxSubscribers: config.maxSseClients,
    heartbeatMs: config.sseHeartbeatMs,
    retentionMs: config.eventRetentionMs,
  });
  const webhooks = new WebhookSender({ config, store, dispatcher: outbound, log });
  const live = new LiveGateway({
    config,
    log: log.child({ component: 'live' }),
    workers: deps.liveWorkers ?? null,
  });
  const metrics = createMetrics({
    store,
    log,
    ...(deps.supervisor ? { supervisor: deps.supervisor } : {}),
    sseClients: () => hub.subscriberCount,
    liveSessions: () => live.size,
    liveBufferedBytes: () => live.bufferedBytes,
  });
  hub.addListener(metrics.onEvent);
  // A task ended: the store wrote its callback's delivery with the event, so look for it now.
  hub.addListener(({ event }) => {
    if (event.type === 'done' || event.type === 'error') webhooks.wake();
  });
  // Summaries and polishes run in this process (LLM calls are I/O), only when a server is configured:
  // without one, nothing is ever sent anywhere.
  const postprocess = llmEnabled(config)
    ? new PostprocessRunner({
        config,
        store,
        log,
        ...(tuning.llmPollMs === undefined ? {} : { pollMs: tuning.llmPollMs }),
      })
    : null;
  // A worker of this server claimed or ended a task: read its events now, not at the next poll
  // (up to EventLogPoller's interval later), so `?wait=true` and SSE clients hear of the end at once.
  // A task that ended may have queued a summary or polish.
  deps.supervisor?.onTasksChanged?.(() => {
    hub.nudge();
    postprocess?.wake();
    webhooks.wake();
  });

  const ctx: ApiContext = {
    config,
    store,
    log,
    tasks: new TaskService({
      config,
      store,
      media,
      log,
      probe: deps.probe ?? defaultProbe,
      outbound,
      onChange: () => {
        hub.nudge();
        // Idle workers poll about once a second; a nudge lets one claim a new task at once.
        deps.supervisor?.wake?.();
      },
    }),
    artifacts: new ArtifactService({ config, store, onQueued: () => postprocess?.wake() }),
    waits: new TaskWaitService({
      config,
      store,
      hub,
      timeoutMs:
        tuning.syncWaitTimeoutMs ?? Math.min(10 * 60_000, timeBudgetSeconds(config, config.syncMaxSeconds) * 1000),
    }),
    streams: new EventStreamService({ store, hub, log }),
    webhooks: new WebhookService({ config, store }),
    metrics,
    supervisor: deps.supervisor,
    state: { shuttingDown: false },
    media,
  };

  const connections = trackConnections(app.server);
  let localUser: User | null = null;
  app.decorateRequest('user', null);
  installErrorHandler(app);
  installNotFoundHandler(app);

  app.addHook('onReady', async () => {
    if (config.auth === 'none') localUser = await ensureLocalUser(store);
    await hub.start();
    postprocess?.start();
    webhooks.start();
  });
  // Before the HTTP server closes: SSE streams and ?wait=true requests would otherwise hold it open.
  app.addHook('preClose', async () => {
    ctx.state.shuttingDown = true;
    live.shutdown();
    await Promise.all([hub.stop(), postprocess?.stop(config.shutdownGraceMs), webhooks.stop(config.shutdownGraceMs)]);
    connections.closeIdle();
  });
  app.addHook('onClose', async () => {
    await outbound.destroy();
    if (ownsMedia) await media.close();
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: redactUrl(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

  void app.register(fastifyMultipart, {
    // The service enforces maxUploadBytes itself (and removes the partial file); busboy's limit
    // sits one byte above so that check is the one that fires.
    limits: { fileSize: config.maxUploadBytes + 1, files: 1, fields: 10, fieldSize: 4096, parts: 12 },
    throwFileSizeLimit: false,
  });
  void app.register(fastifySwagger, openApiOptions());
  void app.register(fastifyWebsocket, {
    options: {
      // Messages up to liveMaxMessageBytes are refused with an error event; at twice that ws closes
      // the socket (1009) before buffering the rest of the message.
      maxPayload: 2 * config.liveMaxMessageBytes,
      handleProtocols: selectProtocol,
      // Compression would cost CPU per message for base64 audio that barely compresses.
      perMessageDeflate: false,
    },
  });
  const v1: FastifyPluginAsync = async (scope) => {
    installAuth(scope, {
      config,
      store,
      localUser: () => {
        if (localUser === null) throw new Error('local user not initialised');
        return localUser;
      },
    });
    await scope.register(taskRoutes(ctx));
    await scope.register(libraryRoutes(ctx));
    await scope.register(taskContentRoutes(ctx));
    await scope.register(transcriptEditRoutes(ctx));
    await scope.register(artifactRoutes(ctx));
    await scope.register(eventRoutes(ctx));
    await scope.register(webhookRoutes(ctx));
    await scope.register(capabilityRoutes(ctx));
    await scope.register(searchRoutes(ctx));
    await scope.register(realtimeRoutes(ctx, live, () => hub.nudge()));
    await scope.register(openAiRoutes(ctx));
    await scope.register(adminRoutes(ctx), { prefix: '/admin' });
  };
  const routes: FastifyPluginAsync = async (root) => {
    root.get('/openapi.json', { schema: { hide: true } }, async () => root.swagger());
    await root.register(healthRoutes(ctx));
    await root.register(v1, { prefix: '/v1' });
  };
  void app.register(routes);
  const webRoot = deps.webRoot === undefined ? findWebRoot() : deps.webRoot;
  if (webRoot !== null) void app.register(webUi(webRoot));
  return app;
}
