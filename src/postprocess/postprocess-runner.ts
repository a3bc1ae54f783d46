import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Config } from '../config/config.js';
import type { Artifact, ArtifactResult } from '../core/artifact.js';
import { mapConcurrent } from '../core/async/map-concurrent.js';
import { AbortedError, failureOf, InternalError, LeaseLostError } from '../core/errors/index.js';
import type { Logger } from '../core/logger.js';
import type { TaskStore } from '../store/task.store.js';
import { LlmClient } from './llm-client.js';
import { polish } from './polish.js';
import { type PostprocessDeps, summarise } from './summarise.js';

export interface PostprocessRunnerDeps {
  config: Config;
  store: TaskStore;
  log: Logger;
  /** How often an idle runner looks for queued artifacts (a wake() looks at once). */
  pollMs?: number;
}

/**
 * Runs summaries and polishes in the `earshot serve` process: LLM calls are network I/O, so they
 * need no worker process. Claims queued artifacts with a lease (renewed while a run lasts), at most
 * EARSHOT_LLM_CONCURRENCY at once in this process and in the whole deployment (the store's claim
 * counts every server's running artifacts). Expired leases (a server that died mid-run) are swept
 * back to the queue here too.
 *
 * An LLM call already retries its transient failures (see LlmClient), so a run that still fails
 * fails the artifact for good, with the error's code and message; a user may request it again.
 * Only a lost lease (crash) counts against the artifact's attempts. The task is never touched.
 */
export class PostprocessRunner {
  readonly id = `llm-${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly client: LlmClient;
  private readonly log: Logger;
  private readonly stopClaiming = new AbortController();
  private readonly abortRuns = new AbortController();
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;

  constructor(private readonly deps: PostprocessRunnerDeps) {
    this.log = deps.log.child({ component: 'postprocess', runner: this.id });
    this.client = new LlmClient(deps.config, this.log);
  }

  start(): void {
    if (this.loop !== null) return;
    this.loop = this.runAll().catch((err: unknown) => this.log.error({ err }, 'post-processing stopped'));
  }

  /** Looks for queued artifacts now instead of at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  /**
   * Stops claiming, gives runs in flight `graceMs` to finish, then aborts them and gives their
   * artifacts back (release: the attempt is not counted), so another server or the next start
   * takes them at once instead of after the lease expires.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopClaiming.abort();
    this.wake();
    if (this.loop === null) return;
    const deadline = setTimeout(() => this.abortRuns.abort(new AbortedError('server shutting down')), graceMs);
    try {
      await this.loop;
    } finally {
      clearTimeout(deadline);
    }
  }

  private async runAll(): Promise<void> {
    const runs = mapConcurrent(this.claims(), (artifact) => this.run(artifact), {
      concurrency: this.deps.config.llmConcurrency,
    });
    for await (const _ of runs) {
      // Each run records its own outcome in the store.
    }
  }

  /** Claimed artifacts, one when a run slot is free (mapConcurrent pulls), until stop(). */
  private async *claims(): AsyncGenerator<Artifact> {
    const { store, config } = this.deps;
    const sweepMs = Math.max(1000, config.leaseMs / 2);
    let lastSweep = 0;
    while (!this.stopClaiming.signal.aborted) {
      const now = Date.now();
      if (now - lastSweep >= sweepMs) {
        lastSweep = now;
        await store
          .reclaimExpiredArtifacts(now)
          .catch((err: unknown) => this.log.warn({ err }, 'artifact lease sweep failed'));
      }
      const artifact = await store
        .claimArtifact(this.id, config.leaseMs, config.llmConcurrency)
        .catch((err: unknown) => {
          this.log.warn({ err }, 'artifact claim failed');
          return null;
        });
      if (artifact !== null) yield artifact;
      else await this.idle(this.deps.pollMs ?? 1000);
    }
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = null;
        this.stopClaiming.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
      this.stopClaiming.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** One artifact from claim to its recorded end. Never rejects. */
  private async run(artifact: Artifact): Promise<void> {
    const { store, config } = this.deps;
    const { taskId, kind } = artifact;
    const log = this.log.child({ taskId, artifact: kind, attempt: artifact.attempts });
    const lost = new AbortController();
    const signal = AbortSignal.any([this.abortRuns.signal, lost.signal]);
    const beat = setInterval(
      () => {
        store
          .heartbeatArtifact(taskId, kind, this.id, config.leaseMs)
          .then((held) => {
            if (!held) lost.abort(new LeaseLostError());
          })
          .catch((err: unknown) => log.warn({ err }, 'artifact heartbeat failed'));
      },
      Math.max(100, Math.floor(config.leaseMs / 3)),
    );
    const started = Date.now();
    try {
      // The newest revision, and its number: a request after a later edit makes the artifact again.
      const current = await store.getTranscriptWithRevision(taskId);
      if (current === null) throw new InternalError(`task ${taskId} has no transcript`);
      const { transcript, revision } = current;
      const deps: PostprocessDeps = {
        chat: (request) => this.client.chat(request, signal),
        windowTokens: config.llmWindowTokens,
        onProgress: async (progress) => {
          signal.throwIfAborted();
          await store.reportArtifactProgress(taskId, kind, this.id, progress);
        },
      };
      let result: ArtifactResult;
      if (kind === 'summary') result = await summarise(transcript, deps);
      else {
        const outcome = await polish(transcript, deps);
        if (outcome.fallbacks > 0) log.warn({ fallbacks: outcome.fallbacks }, 'segments kept their machine text');
        result = outcome.transcript;
      }
      signal.throwIfAborted();
      const stored = await store.completeArtifact(taskId, kind, this.id, result, revision);
      log.info(
        { ms: Date.now() - started, stored },
        stored ? 'artifact done' : 'artifact done, but its lease was lost',
      );
    } catch (err) {
      await this.recordFailure(artifact, err, lost.signal.aborted, log);
    } finally {
      clearInterval(beat);
    }
  }

  private async recordFailure(artifact: Artifact, err: unknown, leaseLost: boolean, log: Logger): Promise<void> {
    const { store } = this.deps;
    const { taskId, kind } = artifact;
    try {
      if (leaseLost) {
        log.warn('artifact lease lost (task deleted or reclaimed); run dropped');
      } else if (this.abortRuns.signal.aborted) {
        await store.releaseArtifact(taskId, kind, this.id);
        log.info('artifact released for shutdown');
      } else {
        // LlmClient has retried what could pass already: what reaches here is final.
        const failure = { ...failureOf(err), retryable: false };
        await store.failArtifact(taskId, kind, this.id, failure);
        log.warn({ code: failure.code }, `artifact failed: ${failure.message}`);
      }
    } catch (storeErr) {
      log.error({ err: storeErr }, 'could not record the end of an artifact run; its lease will expire');
    }
  }
}
