import type { Config } from '../config/config.js';
import { storeUrl, tasksPerWorker, workerHost } from '../config/config.js';
import type { Logger } from '../core/logger.js';
import { earshotVersion } from '../core/version.js';
import { createEngineFactory, createStreamingRecognizerFactory } from '../engines/create-engine.js';
import { EnginePool } from '../engines/engine-pool.js';
import { engineTurnRecognizers } from '../engines/engine-turn-recognizer.js';
import type { StreamingRecognizerFactory } from '../engines/streaming.js';
import type { LiveCommand, LiveReport } from '../live/live-messages.js';
import { LiveHost } from '../live/worker/live-host.js';
import { loadSileroVad } from '../live/worker/live-vad.js';
import { createMediaStore } from '../storage/create-media-store.js';
import { createStore } from '../store/create-store.js';
import { onParentGone } from './parent-guard.js';
import { Worker } from './worker.js';
import { WorkerPresence } from './worker-presence.js';

/** Messages between the supervisor and a worker child over the IPC channel. */
export type SupervisorMessage =
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'wake' }
  | { type: 'shutdown' }
  | LiveCommand;
/**
 * `tasks`: the tasks the worker runs now (empty: idle), sent whenever the set changes: after a claim,
 * and after a run's last store write (so the supervisor can have the API read the task's end at once).
 * `draining`: an admin asked it to drain (or lifted that): the supervisor opens no live session on it.
 * `drained`: it finished its work while draining and is exiting on purpose: not to be restarted.
 */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'tasks'; taskIds: string[] }
  | { type: 'draining'; draining: boolean }
  | { type: 'drained' }
  | LiveReport;

export interface WorkerProcessOptions {
  /**
   * Recognizers for live sessions. Default: the engine's incremental recognizer (PocketSphinx);
   * for engines without one, each session buffers its turns for a batch instance of the engine
   * (no partials; see EngineTurnRecognizer).
   */
  liveRecognizers?: StreamingRecognizerFactory;
}

/** Nice value of file-task engine processes (live session decoders keep 0). */
const FILE_WORK_NICENESS = 10;

/**
 * Runs a worker until SIGTERM/SIGINT (or, as a supervised child, until the supervisor says so or
 * dies). Loads the engines once, before claiming anything, and reuses them for every task.
 */
export async function runWorkerProcess(config: Config, log: Logger, opts: WorkerProcessOptions = {}): Promise<void> {
  const host = workerHost(config);
  const workerId = process.env.EARSHOT_WORKER_ID ?? `${host}:${process.pid}`;
  const wlog = log.child({ workerId });
  const store = await createStore(storeUrl(config), { retryDelaysMs: config.retryDelaysMs, log: wlog });
  await store.migrate();
  const media = createMediaStore(config, { log: wlog });
  // File work yields the CPU to live sessions: its decoders run at a lower priority, so a busy box
  // keeps live latency and file tasks use whatever is left (see docs/architecture.md).
  const pool = new EnginePool(createEngineFactory({ ...config, pocketsphinx: { cpuPriority: FILE_WORK_NICENESS } }), {
    size: config.concurrency,
    // Each running task keeps up to `concurrency` chunks in flight, so this many can wait at most.
    maxQueue: tasksPerWorker(config) * config.concurrency,
  });
  await pool.start();
  wlog.info({ engine: config.engine, instances: config.concurrency, tasks: tasksPerWorker(config) }, 'engines loaded');

  const send = (m: WorkerMessage) => {
    if (process.connected) process.send?.(m);
  };
  // Live sessions run beside file tasks; each owns its recognizer, so the pool is not shared.
  const live = new LiveHost({
    recognizers:
      opts.liveRecognizers ??
      createStreamingRecognizerFactory(config) ??
      engineTurnRecognizers(createEngineFactory(config), config.language),
    loadVad: loadSileroVad,
    send,
    onFailure: (err, sessionId) => wlog.error({ err, session: sessionId }, 'live session failed'),
  });
  const worker = new Worker({
    config,
    store,
    media,
    pool,
    workerId,
    log: wlog,
    onState: (s) => {
      if (s.state !== 'stopped') send({ type: 'tasks', taskIds: s.state === 'busy' ? s.taskIds : [] });
      exitIfDrained();
    },
  });

  // Drain (an admin's flag in the worker registry, read at each heartbeat): claim nothing new, let
  // the running tasks and live sessions end by themselves, then exit cleanly (code 0).
  let draining = false;
  const exitIfDrained = () => {
    if (!draining || worker.taskIds.length > 0 || live.size > 0 || stopping !== null) return;
    send({ type: 'drained' });
    void stop('drained', config.shutdownGraceMs);
  };
  const presence = new WorkerPresence({
    store,
    log: wlog,
    // At most half the lease: one late or failed heartbeat must not make a live worker look dead.
    intervalMs: Math.min(config.workerHeartbeatMs, Math.floor(config.leaseMs / 2)),
    registration: {
      id: workerId,
      host,
      pid: process.pid,
      engine: config.engine,
      slots: tasksPerWorker(config),
      version: earshotVersion(),
      leaseMs: config.leaseMs,
    },
    taskIds: () => worker.taskIds,
    onState: (state) => {
      const drain = state === 'draining';
      if (drain !== draining) {
        draining = drain;
        worker.setDraining(drain);
        send({ type: 'draining', draining: drain });
        wlog.info({ tasks: worker.taskIds.length, liveSessions: live.size }, drain ? 'draining' : 'drain lifted');
      }
      exitIfDrained();
    },
  });

  let stopping: Promise<void> | null = null;
  const stop = (why: string, graceMs: number) => {
    stopping ??= (async () => {
      wlog.info({ why }, 'worker stopping');
      await Promise.all([worker.stop(graceMs), live.closeAll()]);
      await presence.stop();
      await pool.close();
      await Promise.all([store.close(), media.close()]);
    })();
    return stopping;
  };
  process.on('SIGTERM', () => void stop('SIGTERM', config.shutdownGraceMs));
  process.on('SIGINT', () => void stop('SIGINT', config.shutdownGraceMs));
  process.on('message', (m: SupervisorMessage | LiveCommand) => {
    if (m.type.startsWith('live.')) live.handle(m as LiveCommand);
    else if (m.type === 'pause') worker.pause();
    else if (m.type === 'resume') worker.resume();
    else if (m.type === 'wake') worker.wake();
    else if (m.type === 'shutdown') void stop('supervisor shutdown', config.shutdownGraceMs);
  });
  // The supervisor died (e.g. kill -9 of the server): don't linger as an orphan holding a lease;
  // give the task back at once so the restarted server's workers resume it from its checkpoints.
  onParentGone(() => stop('supervisor gone', 0));

  await presence.start();
  send({ type: 'ready' });
  await worker.start();
  await stopping;
  // An open IPC channel keeps the process alive; close it so the worker exits once drained.
  if (process.connected) process.disconnect();
}
