import type { Transcript } from './transcript.js';

/*
 * Post-processing artifacts: what an LLM makes from a finished transcript. Pure vocabulary and
 * shapes, without Node imports, so the web UI can import it as it does core/task.ts.
 */

/** `summary`: a summary with key points. `polish`: the transcript with casing, punctuation and fillers fixed. */
export const ARTIFACT_KINDS = ['summary', 'polish'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/**
 * An artifact's own lifecycle, separate from its task's: a failing LLM never fails the transcript.
 * `queued` also covers a reclaimed artifact waiting out its backoff. Enforced by a CHECK in both stores.
 */
export const ARTIFACT_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type ArtifactStatus = (typeof ARTIFACT_STATUSES)[number];

/**
 * Where a running artifact is; shown to users only. A summary maps windows of the transcript, then
 * reduces their summaries (possibly in several rounds); a polish goes window by window.
 */
export const ARTIFACT_STAGES = ['waiting', 'mapping', 'reducing', 'polishing', 'done'] as const;
export type ArtifactStage = (typeof ARTIFACT_STAGES)[number];

/** The small row a poll reads; the result lives in its own table, read only when asked for. */
export interface Artifact {
  taskId: string;
  kind: ArtifactKind;
  status: ArtifactStatus;
  stage: ArtifactStage;
  /** LLM calls (windows) finished in the current stage, and how many it has. */
  doneWindows: number;
  totalWindows: number;
  attempts: number;
  maxAttempts: number;
  /** Earliest time (ms since epoch) the artifact may be claimed. */
  runAt: number;
  errorCode: string | null;
  errorMessage: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
  /**
   * The transcript revision the result was made from (set when it succeeds; null before, and for
   * results made before revisions were recorded).
   */
  revision: number | null;
}

/**
 * A succeeded result made from an older revision than the transcript's newest: the transcript was
 * edited since. A result without a recorded revision counts as made from revision 0. The store
 * re-queues such a result when it is asked for again; the web UI offers to.
 */
export function artifactOutdated(
  artifact: { status: ArtifactStatus; revision: number | null },
  transcriptRevision: number,
): boolean {
  return artifact.status === 'succeeded' && (artifact.revision ?? 0) < transcriptRevision;
}

/** A transcript's summary. */
export interface Summary {
  summary: string;
  keyPoints: string[];
  /** The model that wrote it, as the server named it. */
  model: string;
}

/** The result each kind stores. */
export interface ArtifactResultMap {
  summary: Summary;
  polish: Transcript;
}
export type ArtifactResult<K extends ArtifactKind = ArtifactKind> = ArtifactResultMap[K];

export interface ArtifactProgress {
  stage: ArtifactStage;
  doneWindows: number;
  totalWindows: number;
}

/** The artifacts a task's options ask for, in a fixed order. */
export function requestedArtifacts(options: { summary?: boolean; polish?: boolean }): ArtifactKind[] {
  return ARTIFACT_KINDS.filter((k) => options[k] === true);
}
