/**
 * Shapes of the public v1 API (docs/api.md), as the browser receives them. The vocabulary (statuses,
 * stages, formats, transcript shapes) is the server's own, imported from src/core, whose modules are
 * browser-safe for this reason.
 */
import type { TaskStage, TaskStatus } from '../../../core/task.js';
import type { OutputFormat } from '../../../core/transcript.js';

export { isTerminal, TASK_STAGES, TASK_STATUSES, type TaskStage, type TaskStatus } from '../../../core/task.js';
export {
  OUTPUT_FORMATS,
  type OutputFormat,
  type Segment,
  type Transcript,
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
  media_bytes: number;
  priority: number;
  options: { language: string; formats: OutputFormat[]; max_chunk_seconds?: number };
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
