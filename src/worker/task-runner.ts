import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { timeBudgetSeconds } from '../config/config.js';
import { failureOf, LeaseLostError, TimeBudgetError } from '../core/errors/index.js';
import type { Logger } from '../core/logger.js';
import { StageTimes } from '../core/stage-times.js';
import type { Task } from '../core/task.js';
import { type PipelineProgress, transcribe } from '../pipeline/transcribe.js';
import type { TaskStore } from '../store/task.store.js';
import type { WorkerDeps } from './worker.js';

/** Progress rows are written at most this often (plus on every finished chunk), never per word. */
const PROGRESS_INTERVAL_MS = 1000;

/**
 * Runs one claimed task to its end state. Holds the lease with a heartbeat; a failed heartbeat means
 * the task was cancelled, deleted or reclaimed, so the run aborts at once. Every store write names this
 * worker, so a run that lost its lease cannot overwrite anything. When `claimNext()` says the worker
 * wants another task as this one ends, the completion claims it in the same step (one commit instead
 * of two: TaskStore.completeAndClaim) and it is returned, leased to this worker, for the caller to run.
 */
export async function runTask(
  task: Task,
  deps: Pick<WorkerDeps, 'config' | 'store' | 'media' | 'pool' | 'workerId' | 'log'> & {
    shutdown: AbortSignal;
    claimNext?: () => boolean;
  },
): Promise<Task | null> {
  const { config, store, media, workerId } = deps;
  const log = deps.log.child({ taskId: task.id, attempt: task.attempts });
  const times = new StageTimes();
  const started = performance.now();
  times.add('queued', Math.max(0, Date.now() - task.createdAt));
  const lease = new AbortController();
  const budget = timeBudgetSeconds(config, task.durationSeconds);
  const timeout = new AbortController();
  // setTimeout overflows past 2^31-1 ms (~24.8 days); no sane budget is longer.
  const budgetTimer = setTimeout(
    () => timeout.abort(new TimeBudgetError(budget)),
    Math.min(budget * 1000, 2 ** 31 - 1),
  );
  const signal = AbortSignal.any([lease.signal, deps.shutdown, timeout.signal]);
  const heartbeat = setInterval(() => {
    store.heartbeat(task.id, workerId, config.leaseMs).then(
      (held) => {
        if (!held) lease.abort(new LeaseLostError());
      },
      (err: unknown) => log.warn({ err }, 'heartbeat failed; will retry'),
    );
  }, config.heartbeatMs);

  let lastWrite = 0;
  let pendingWrite: Promise<unknown> = Promise.resolve();
  const writeProgress = (p: PipelineProgress, force = false) => {
    const now = Date.now();
    if (!force && now - lastWrite < PROGRESS_INTERVAL_MS) return;
    lastWrite = now;
    pendingWrite = pendingWrite
      .then(() => times.time('storeProgress', () => store.reportProgress(task.id, workerId, p)))
      .catch((err: unknown) => log.warn({ err }, 'progress write failed'));
  };

  const workDir = path.join(config.dataDir, 'work', task.id);
  log.info({ source: task.sourceName, duration: task.durationSeconds, budget }, 'task started');
  // Whether this attempt completed the task (otherwise it failed, was released or lost its lease: see the log).
  let completed = false;
  let next: Task | null = null;
  try {
    // The input as a local file for ffmpeg: the stored file itself, or a copy in the work directory
    // (removed with it below, however the run ends). Missing media fails the task for good.
    const mediaPath = await times.time('setup', async () => {
      await mkdir(workDir, { recursive: true });
      return media.materialise(task.mediaPath, workDir, { signal });
    });
    const transcript = await transcribe({
      mediaPath,
      workDir,
      // A task without its own chunk length uses this worker's setting (EARSHOT_MAX_CHUNK_SECONDS).
      options: { ...task.options, maxChunkSeconds: task.options.maxChunkSeconds ?? config.maxChunkSeconds },
      pool: deps.pool,
      // The pool is shared with this worker's other tasks: they take turns, higher priority first.
      share: { key: task.id, priority: task.priority },
      // Probed when the task was created (null: the container does not say), so no attempt probes again.
      durationSeconds: task.durationSeconds,
      attempt: task.attempts,
      signal,
      log,
      times,
      checkpoints: {
        load: () => store.getPlan(task.id),
        savePlan: async (chunks, complete) => {
          const held = await times.time('storePlan', () => store.savePlan(task.id, workerId, chunks, complete));
          if (!held) lease.abort(new LeaseLostError());
        },
        saveChunk: async (c) => {
          if (!(await times.time('storeChunk', () => store.checkpointChunk(task.id, workerId, c)))) {
            lease.abort(new LeaseLostError());
          }
        },
      },
      onProgress: (p) => writeProgress(p, p.stage !== 'recognizing'),
      onChunk: () => undefined,
    });
    await pendingWrite;
    if (deps.claimNext?.() === true) {
      const step = await times.time('complete', () =>
        store.completeAndClaim(task.id, workerId, transcript, config.leaseMs),
      );
      completed = step.completed;
      next = step.next;
    } else {
      completed = await times.time('complete', () => store.complete(task.id, workerId, transcript));
    }
    if (completed) {
      log.info({ segments: transcript.segments.length, duration: transcript.duration }, 'task succeeded');
    }
  } catch (err) {
    await pendingWrite;
    const cause = timeout.signal.aborted ? (timeout.signal.reason as TimeBudgetError) : err;
    await settleFailure(task, cause, { ...deps, log, lease: lease.signal });
  } finally {
    clearInterval(heartbeat);
    clearTimeout(budgetTimer);
    await times.time('cleanup', () => rm(workDir, { recursive: true, force: true }).catch(() => undefined));
    times.add('total', performance.now() - started);
    // One record per attempt with where its time went (ms): see StageTimes for what each stage covers.
    log.info({ completed, duration: task.durationSeconds, stages: times.toJSON() }, 'task stages');
  }
  return next;
}

async function settleFailure(
  task: Task,
  err: unknown,
  deps: { store: TaskStore; workerId: string; log: Logger; shutdown: AbortSignal; lease: AbortSignal },
): Promise<void> {
  const { store, workerId, log } = deps;
  if (deps.lease.aborted) {
    log.info('task stopped: lease lost (cancelled, deleted or reclaimed)');
    return;
  }
  if (deps.shutdown.aborted) {
    // Shutting down is not the task's fault: give it back without spending an attempt.
    await store.release(task.id, workerId);
    log.info('task released for another worker (shutdown)');
    return;
  }
  const failure = failureOf(err);
  const after = await store.fail(task.id, workerId, failure);
  log.warn({ code: failure.code, msg: failure.message, status: after?.status }, 'task attempt failed');
}
