import type { Task } from '../api/types';
import { formatClock } from '../lib/format';

/** Seconds the finished attempt took, or the running one so far; null before any started. */
export function processingSeconds(task: Task): number | null {
  if (task.started_at && task.finished_at) {
    return Math.max(0, (Date.parse(task.finished_at) - Date.parse(task.started_at)) / 1000);
  }
  return task.status === 'processing' ? task.elapsed_seconds : null;
}

/**
 * How long the recording is, how long transcribing took, and attempts in words that do not promise
 * more: a failed task has used its attempts ("failed after 3 attempts"); only a task the queue will
 * run again says "attempt 2 of 3".
 */
export function TaskFacts({ task }: { task: Task }) {
  const took = processingSeconds(task);
  const length = task.duration_seconds ?? task.progress?.total_seconds ?? null;
  const finished = task.status === 'succeeded' || task.status === 'failed' || task.status === 'cancelled';
  return (
    <>
      {length !== null && (
        <span data-testid="task-duration">
          <span class="visually-hidden">Recording length </span>
          {formatClock(length)}
        </span>
      )}
      {took !== null && task.status !== 'queued' && (
        <span data-testid="task-processing-time">
          {finished ? 'took' : 'running for'} {formatClock(took)}
        </span>
      )}
      {task.status === 'failed' && task.attempts > 0 && (
        <span data-testid="task-attempts">
          failed after {task.attempts} attempt{task.attempts === 1 ? '' : 's'}
        </span>
      )}
      {task.status !== 'failed' && !finished && task.attempts > 1 && (
        <span data-testid="task-attempts">
          attempt {task.attempts} of {task.max_attempts}
        </span>
      )}
    </>
  );
}
