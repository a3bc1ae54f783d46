/**
 * Shapes of the public v1 API (docs/api.md), as the browser receives them. The vocabulary (statuses,
 * stages, formats, transcript shapes) is the server's own, imported from src/core, whose modules are
 * browser-safe for this reason.
 */
import type { ArtifactKind, ArtifactStage, ArtifactStatus } from '../../../core/artifact.js';
import type { TaskStage, TaskStatus } from '../../../core/task.js';
import type { OutputFormat, Transcript } from '../../../core/transcript.js';
import type { WorkerRunState } from '../../../core/worker-registration.js';

export {
  ARTIFACT_KINDS,
  type ArtifactKind,
  type ArtifactStage,
  type ArtifactStatus,
  artifactOutdated,
} from '../../../core/artifact.js';
export { isTerminal, TASK_STAGES, TASK_STATUSES, type TaskStage, type TaskStatus } from '../../../core/task.js';
export {
  OUTPUT_FORMATS,
  type OutputFormat,
  type Segment,
  TRANSCRIPT_VARIANTS,
  type Transcript,
  type TranscriptVariant,
  type Word,
} from '../../../core/transcript.js';

export interface TaskProgress {
  percent: number;
  done_seconds: number;
  total_seconds: number | null;
  speed: number | null;
  eta_seconds: number | null;
}

export interface ApiErrorBody {
  code: string;
  message: string;
}

export interface Task {
  id: string;
  status: TaskStatus;
  stage: TaskStage;
  source_name: string;
  /** A name given in the UI (PATCH); null (or absent on older servers) shows the file name. */
  title?: string | null;
  media_bytes: number;
  /** Recording length; null until probed. */
  duration_seconds?: number | null;
  /** Words in the transcript; null until it succeeded. */
  word_count?: number | null;
  priority: number;
  options: {
    language: string;
    formats: OutputFormat[];
    max_chunk_seconds?: number;
    /** Present (true) only when asked for at upload. */
    summary?: boolean;
    polish?: boolean;
  };
  progress: TaskProgress | null;
  attempts: number;
  max_attempts: number;
  error: ApiErrorBody | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  elapsed_seconds: number | null;
  callback_url: string | null;
}

export interface TaskPage {
  tasks: Task[];
  total: number;
  counts: Record<TaskStatus, number>;
}

/**
 * What the page knows of a summary or polish (GET /v1/tasks/:id/summary|polish, or an `artifact`
 * stream event, which carries the same fields but `result`).
 */
export interface ArtifactState {
  kind: ArtifactKind;
  status: ArtifactStatus;
  stage: ArtifactStage;
  progress: { done_windows: number; total_windows: number };
  attempts: number;
  error: ApiErrorBody | null;
  /** The transcript revision a succeeded result was made from. */
  revision: number | null;
  /** The summary once it succeeded and was read; always null for a polish. */
  result: SummaryResult | null;
}

export interface SummaryResult {
  summary: string;
  key_points: string[];
  model: string;
}

export type { WorkerRunState } from '../../../core/worker-registration.js';

/** A worker process from the worker registry (GET /v1/admin/workers, admins only). */
export interface RegisteredWorker {
  id: string;
  host: string;
  pid: number;
  engine: string;
  slots: number;
  task_ids: string[];
  version: string;
  state: WorkerRunState;
  started_at: string;
  heartbeat_at: string;
  heartbeat_age_ms: number;
  stale: boolean;
  supervised_by_this_server: boolean;
}

export interface WorkerList {
  /** This server's workers are paused; null when it supervises none. */
  paused: boolean | null;
  lease_ms: number;
  workers: RegisteredWorker[];
}

/** One matching segment of GET /v1/search. */
export interface SearchHit {
  task_id: string;
  source_name: string;
  segment_index: number;
  start: number;
  end: number;
  /** Part of the segment's text, each matched word between « and » (plain text, not HTML). */
  snippet: string;
}

export interface SearchResult {
  hits: SearchHit[];
  /** The offset of the next page; null when this was the last. */
  next_offset: number | null;
}

/** POST /v1/tasks/delete. */
export interface DeleteResult {
  /** The ids deleted. */
  deleted: string[];
  /** The ids that were not there (deleted meanwhile, or never visible to you). */
  not_found: string[];
}

/** One change to a transcript (PATCH /v1/tasks/:id/transcript); segment and word indices are 0-based. */
export type EditOperation =
  | { op: 'replace_text'; segment: number; text: string }
  | { op: 'split'; segment: number; word: number }
  | { op: 'merge'; segment: number }
  | { op: 'set_speaker'; segments: number[]; speaker: string | null }
  | { op: 'rename_speaker'; from: string; to: string };

/** A transcript read or written through the edit API, with the revision its ETag names. */
export interface TranscriptRevisionRead {
  transcript: Transcript;
  /** The ETag as sent (`"r3"`), for If-Match; null when the server sent none. */
  etag: string | null;
  /** The revision number the ETag names (0 = the machine transcript). */
  revision: number;
}

export interface TranscriptRevision {
  revision: number;
  kind: 'machine' | 'edit' | 'revert';
  created_at: string;
  user_id: string | null;
  user_name: string | null;
  operations: EditOperation[];
  /** For a revert: the revision whose text it restored. */
  reverted_to: number | null;
}

export interface RevisionList {
  current: number;
  revisions: TranscriptRevision[];
}
