import type { Api } from '../api/client';
import type { Task, TaskStatus } from '../api/types';
import { formatBytes, formatDate, withSourceName } from '../lib/format';
import { TaskActions } from './task-actions';
import { TaskFacts } from './task-facts';
import { TaskProgress } from './task-progress';
import { TaskTitle, taskName } from './task-title';

export const STATUS_TEXT: Record<TaskStatus, string> = {
  queued: 'Queued',
  processing: 'Processing',
  succeeded: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

interface Props {
  api: Api;
  task: Task;
  onChanged(task: Task | null): void;
  selected: boolean;
  onSelect(id: string, selected: boolean): void;
}

export function TaskRow({ api, task, onChanged, selected, onSelect }: Props) {
  const showProgress = task.status === 'queued' || task.status === 'processing';
  const words = task.word_count ?? null;
  return (
    <li class="task" data-testid="task-row" data-task-id={task.id} data-status={task.status}>
      <div class="task__head">
        <input
          type="checkbox"
          class="task__select"
          checked={selected}
          onChange={(e) => onSelect(task.id, e.currentTarget.checked)}
          aria-label={`Select ${taskName(task)}`}
          data-testid="task-select"
        />
        <TaskTitle api={api} task={task} onRenamed={onChanged} />
        <span class={`badge badge--${task.status}`} data-testid="task-status">
          {STATUS_TEXT[task.status]}
        </span>
      </div>
      <p class="task__meta">
        <span>{formatBytes(task.media_bytes)}</span>
        <span>{task.options.language}</span>
        <time dateTime={task.created_at}>{formatDate(task.created_at)}</time>
        <TaskFacts task={task} />
        {words !== null && (
          <span data-testid="task-words">
            {words.toLocaleString()} word{words === 1 ? '' : 's'}
          </span>
        )}
      </p>
      {showProgress && <TaskProgress task={task} />}
      {task.error && (
        <p class={task.status === 'failed' ? 'error-text' : 'hint'} data-testid="task-error">
          {task.status === 'failed' ? 'Failed: ' : 'Last attempt failed: '}
          {withSourceName(task.error.message, task.source_name)}
        </p>
      )}
      <TaskActions api={api} task={task} onChanged={onChanged} />
    </li>
  );
}
