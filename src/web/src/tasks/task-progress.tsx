import type { Task } from '../api/types';
import { ProgressBar } from '../components/progress-bar';
import { formatDuration, formatPercent, formatSpeed } from '../lib/format';

const STAGE_TEXT: Record<Task['stage'], string> = {
  waiting: 'Waiting',
  decoding: 'Decoding audio',
  recognizing: 'Recognising speech',
  merging: 'Putting it together',
  done: 'Done',
};

/** Progress bar plus the numbers behind it: percent, speed (× real time) and time left. */
export function TaskProgress({ task }: { task: Task }) {
  const p = task.progress;
  const percent = task.status === 'succeeded' ? 100 : (p?.percent ?? 0);
  const measured = task.status === 'processing' || percent > 0;
  const tone = task.status === 'failed' ? 'error' : task.status === 'succeeded' ? 'done' : 'normal';
  return (
    <div class="task-progress" data-testid="task-progress">
      <ProgressBar
        value={measured ? percent : null}
        label={`Progress of ${task.source_name}`}
        tone={tone}
        testId="task-progress-bar"
      />
      <p class="task-progress__numbers">
        <span class="numeric" data-testid="task-percent">
          {formatPercent(percent)}
        </span>
        {task.status === 'processing' && <span>{STAGE_TEXT[task.stage]}</span>}
        {task.status === 'processing' && p?.speed != null && p.speed > 0 && (
          <span data-testid="task-speed">{formatSpeed(p.speed)}</span>
        )}
        {task.status === 'processing' && p?.eta_seconds != null && (
          <span data-testid="task-eta">about {formatDuration(p.eta_seconds)} left</span>
        )}
        {task.status === 'queued' && <span>{task.attempts > 0 ? 'Waiting to retry' : 'Waiting for a worker'}</span>}
      </p>
    </div>
  );
}

export function stageText(task: Task): string {
  return STAGE_TEXT[task.stage];
}
