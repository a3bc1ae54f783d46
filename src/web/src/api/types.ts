/** Shapes of the public v1 API (docs/api.md), as the browser receives them. */

export const TASK_STATUSES = ['queued', 'processing', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const OUTPUT_FORMATS = ['json', 'srt', 'vtt', 'txt'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export type TaskStage = 'waiting' | 'decoding' | 'planning' | 'recognizing' | 'merging' | 'done';

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

export interface Word {
  word: string;
  start: number;
  end: number;
  confidence?: number;
}

export interface Segment {
  start: number;
  end: number;
  text: string;
  words?: Word[];
}

export interface Transcript {
  language: string;
  duration: number;
  segments: Segment[];
  text: string;
  partial?: boolean;
}

export function isTerminal(status: TaskStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}
