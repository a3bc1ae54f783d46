import type { Task } from '../core/task.js';
import type { TaskView } from './schemas/task.schema.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * The public shape of a task, computed from the row alone (never the transcript). Progress numbers
 * are derived here so every endpoint and SSE event shows the same ones.
 */
export function toTaskView(task: Task, now = Date.now()): TaskView {
  const total = task.durationSeconds;
  const done = task.doneSeconds;
  let percent = 0;
  if (task.status === 'succeeded') percent = 100;
  else if (total !== null && total > 0) percent = Math.min(100, round((done / total) * 100, 1));
  const running = task.status === 'processing';
  const speed = task.speed !== null && task.speed > 0 ? round(task.speed, 2) : null;
  const eta =
    running && speed !== null && task.speed !== null && total !== null
      ? Math.max(0, Math.round((total - done) / task.speed))
      : null;
  const elapsed = task.startedAt === null ? null : round(((task.finishedAt ?? now) - task.startedAt) / 1000, 1);
  return {
    id: task.id,
    status: task.status,
    stage: task.stage,
    source_name: task.sourceName,
    title: task.title,
    media_bytes: task.mediaBytes,
    duration_seconds: total,
    word_count: task.wordCount,
    priority: task.priority,
    options: {
      language: task.options.language,
      formats: task.options.formats,
      ...(task.options.maxChunkSeconds === undefined ? {} : { max_chunk_seconds: task.options.maxChunkSeconds }),
      ...(task.options.summary === true ? { summary: true } : {}),
      ...(task.options.polish === true ? { polish: true } : {}),
    },
    progress: {
      percent,
      done_seconds: round(done, 1),
      total_seconds: total,
      speed,
      eta_seconds: eta,
    },
    attempts: task.attempts,
    max_attempts: task.maxAttempts,
    error: task.errorCode === null ? null : { code: task.errorCode, message: task.errorMessage ?? '' },
    created_at: new Date(task.createdAt).toISOString(),
    started_at: iso(task.startedAt),
    finished_at: iso(task.finishedAt),
    elapsed_seconds: elapsed,
    callback_url: task.callbackUrl,
  };
}
