import { type Config, llmEnabled } from '../config/config.js';
import type { Artifact, ArtifactKind, ArtifactResult } from '../core/artifact.js';
import { ConflictError, LlmNotConfiguredError, NotFoundError } from '../core/errors/index.js';
import type { Transcript } from '../core/transcript.js';
import type { Scope, TaskStore } from '../store/task.store.js';

export interface ArtifactServiceDeps {
  config: Config;
  store: TaskStore;
  /** Called after a request queued work, so the runner looks at once. */
  onQueued?: () => void;
}

/**
 * Post-processing use cases behind the HTTP routes: asking for a summary or polish of a finished
 * task, reading its status (a small row) and, only when asked, its result. Visibility is the
 * task's: an artifact of a foreign task is as missing as the task.
 */
export class ArtifactService {
  constructor(private readonly deps: ArtifactServiceDeps) {}

  /** Queues `kind` for a succeeded task (a failed one again); 422 when no LLM server is configured. */
  async request(taskId: string, kind: ArtifactKind, scope: Scope): Promise<Artifact> {
    if (!llmEnabled(this.deps.config)) throw new LlmNotConfiguredError(kind);
    const artifact = await this.deps.store.requestArtifact(taskId, kind, scope);
    if (artifact === null) throw new NotFoundError();
    if (artifact.status === 'queued') this.deps.onQueued?.();
    return artifact;
  }

  /** The artifact's row; 404 when the task is not visible or nothing was requested. */
  async get(taskId: string, kind: ArtifactKind, scope: Scope): Promise<Artifact> {
    const { store } = this.deps;
    if ((await store.get(taskId, scope)) === null) throw new NotFoundError();
    const artifact = await store.getArtifact(taskId, kind);
    if (artifact === null) throw new NotFoundError(kind);
    return artifact;
  }

  /** The result of a succeeded artifact, null before. */
  async result<K extends ArtifactKind>(artifact: Artifact & { kind: K }): Promise<ArtifactResult<K> | null> {
    return artifact.status === 'succeeded' ? this.deps.store.getArtifactResult(artifact.taskId, artifact.kind) : null;
  }

  /** The polished transcript of a visible task; 409 not_ready until the polish succeeded. */
  async polished(taskId: string, scope: Scope): Promise<Transcript> {
    const artifact = await this.get(taskId, 'polish', scope);
    const transcript = await this.result(artifact as Artifact & { kind: 'polish' });
    if (transcript === null) {
      throw new ConflictError(`the polished transcript is not ready (polish is ${artifact.status})`, 'not_ready');
    }
    return transcript;
  }
}
