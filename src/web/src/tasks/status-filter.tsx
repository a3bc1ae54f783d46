import { TASK_STATUSES, type TaskStatus } from '../api/types';
import { homeHref, type ListFilters } from '../lib/route';
import { STATUS_TEXT } from './task-row';

interface Props {
  current: TaskStatus | undefined;
  counts: Record<TaskStatus, number> | null;
  /** Kept when the status changes (name, dates, sort). */
  filters?: ListFilters;
}

/** Filter links (they change the URL, so a reload keeps the filter), each with its count. */
export function StatusFilter({ current, counts, filters = {} }: Props) {
  const total = counts ? TASK_STATUSES.reduce((sum, s) => sum + (counts[s] ?? 0), 0) : null;
  const options: [TaskStatus | undefined, string, number | null][] = [
    [undefined, 'All', total],
    ...TASK_STATUSES.map<[TaskStatus, string, number | null]>((s) => [s, STATUS_TEXT[s], counts?.[s] ?? null]),
  ];
  return (
    <nav class="status-filter" aria-label="Filter tasks by status">
      <ul>
        {options.map(([status, label, count]) => (
          <li key={label}>
            <a
              href={homeHref(status, 1, filters)}
              class="chip"
              aria-current={status === current ? 'page' : undefined}
              data-testid={`filter-${status ?? 'all'}`}
            >
              {label}
              {count !== null && <span class="chip__count">{count}</span>}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
