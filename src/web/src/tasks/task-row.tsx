import type { Api } from '../api/client';
import type { Task, TaskStatus } from '../api/types';
import { formatBytes, formatDate, withSourceName } from '../lib/format';
import { taskHref } from '../lib/route';
import { TaskActions } from './task-actions';
import { TaskFacts } from './task-facts';
import { TaskProgress } from './task-progress';

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
}

export function TaskRow({ api, task, onChanged }: Props) {
  const showProgress = task.status === 'queued' || task.status === 'processing';
  return (
    <li class="task" data-testid="task-row" data-task-id={task.id} data-status={task.status}>
      <div class="task__head">
        <a class="task__name" href={taskHref(task.id)} data-testid="task-link">
          {task.source_name}
        </a>
        <span class={`badge badge--${task.status}`} data-testid="task-status">
          {STATUS_TEXT[task.status]}
        </span>
      </div>
      <p class="task__meta">
        <span>{formatBytes(task.media_bytes)}</span>
        <span>{task.options.language}</span>
        <time dateTime={task.created_at}>{formatDate(task.created_at)}</time>
        <TaskFacts task={task} />
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
