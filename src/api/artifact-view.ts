import type { Artifact, Summary } from '../core/artifact.js';
import type { ArtifactView } from './schemas/artifact.schema.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The public shape of an artifact, from its row (and, for a summary, its result when read). */
export function toArtifactView(artifact: Artifact, summary: Summary | null = null): ArtifactView {
  const { doneWindows, totalWindows } = artifact;
  let percent = 0;
  if (artifact.status === 'succeeded') percent = 100;
  else if (totalWindows > 0) percent = Math.round((doneWindows / totalWindows) * 1000) / 10;
  return {
    task_id: artifact.taskId,
    kind: artifact.kind,
    status: artifact.status,
    stage: artifact.stage,
    progress: { done_windows: doneWindows, total_windows: totalWindows, percent },
    attempts: artifact.attempts,
    max_attempts: artifact.maxAttempts,
    error: artifact.errorCode === null ? null : { code: artifact.errorCode, message: artifact.errorMessage ?? '' },
    created_at: new Date(artifact.createdAt).toISOString(),
    started_at: iso(artifact.startedAt),
    finished_at: iso(artifact.finishedAt),
    revision: artifact.revision,
    result: summary === null ? null : { summary: summary.summary, key_points: summary.keyPoints, model: summary.model },
  };
}
