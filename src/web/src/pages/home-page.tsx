import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import type { ConnectionState } from '../api/event-stream';
import type { Task, TaskStatus } from '../api/types';
import { useAnnounce } from '../components/announcer';
import { useEventStream } from '../hooks/use-event-stream';
import { PAGE_SIZE, useTaskPage } from '../hooks/use-task-page';
import { withSourceName } from '../lib/format';
import { filtersOf, homeHref, type ListFilters } from '../lib/route';
import { SearchForm } from '../search/search-form';
import { BulkActions } from '../tasks/bulk-actions';
import { FilterBar } from '../tasks/filter-bar';
import { Pager } from '../tasks/pager';
import { StatusFilter } from '../tasks/status-filter';
import { STATUS_TEXT, TaskRow } from '../tasks/task-row';
import { UploadPanel } from '../upload/upload-panel';

interface Props {
  api: Api;
  status: TaskStatus | undefined;
  page: number;
  filters: ListFilters;
  onConnection(state: ConnectionState | null): void;
}

/**
 * Upload, search, and the task list (filtered, sorted, selectable), kept live by the all-tasks event
 * stream (no polling while it is up).
 */
export function HomePage({ api, status, page, filters: routeFilters, onConnection }: Props) {
  const { q, from, to, sort, order } = routeFilters;
  // A new object per route; its fields are what matters to the hooks below.
  const filters = useMemo(() => filtersOf({ q, from, to, sort, order }), [q, from, to, sort, order]);
  const list = useTaskPage(api, status, page, filters);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const announce = useAnnounce();
  const lastStatus = useRef(new Map<string, TaskStatus>());

  const noteTransition = (task: Task) => {
    const before = lastStatus.current.get(task.id);
    lastStatus.current.set(task.id, task.status);
    if (before === undefined || before === task.status) return;
    if (task.status === 'succeeded') announce(`${task.source_name} is transcribed.`);
    else if (task.status === 'failed')
      announce(
        `${task.source_name} failed: ${withSourceName(task.error?.message ?? 'unknown error', task.source_name)}`,
      );
  };

  useEventStream(api.urlWithToken('/v1/events'), {
    onSnapshot: (tasks) => {
      for (const task of tasks) {
        lastStatus.current.set(task.id, task.status);
        list.applyTask(task, true);
      }
    },
    onTask: (task) => {
      noteTransition(task);
      list.applyTask(task);
    },
    onGone: () => list.refresh(),
    onResync: () => list.refresh(),
    onState: onConnection,
  });
  useEffect(() => () => onConnection(null), [onConnection]);

  const data = list.page;
  const listed = useMemo(() => new Set(data?.tasks.map((t) => t.id) ?? []), [data]);
  const onChanged = (task: Task | null) => {
    if (task) list.applyTask(task);
    list.refresh();
  };

  // Another page, filter or sort starts with nothing selected: the selection is of rows in view.
  useEffect(() => setSelected(new Set()), [status, page, filters]);
  const select = (id: string, on: boolean) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const narrowed = Boolean(filters.q || filters.from || filters.to);

  return (
    <>
      <h1 class="visually-hidden">Earshot</h1>
      <UploadPanel api={api} onCreated={list.addCreated} listed={listed} />
      <section class="card" aria-label="Search">
        <SearchForm />
      </section>
      <section class="card tasks" aria-labelledby="tasks-title" aria-busy={list.loading}>
        <div class="tasks__head">
          <h2 id="tasks-title">Tasks</h2>
          <StatusFilter current={status} counts={data?.counts ?? null} filters={filters} />
        </div>
        <FilterBar status={status} filters={filters} />
        {list.error && (
          <p class="error-text" role="alert" data-testid="tasks-error">
            {list.error}{' '}
            <button type="button" class="button button--quiet" onClick={list.refresh}>
              Try again
            </button>
          </p>
        )}
        {data && data.tasks.length === 0 && (
          <p class="empty" data-testid="tasks-empty">
            {page > 1 ? (
              <>
                Nothing on this page. <a href={homeHref(status, 1, filters)}>Go to the first page</a>.
              </>
            ) : narrowed ? (
              <>
                No tasks match these filters. <a href={homeHref(status, 1)}>Clear filters</a>.
              </>
            ) : status ? (
              `No ${STATUS_TEXT[status].toLowerCase()} tasks.`
            ) : (
              'No tasks yet. Upload a recording above.'
            )}
          </p>
        )}
        {data && (
          <BulkActions
            api={api}
            tasks={data.tasks}
            selected={selected}
            onSelectAll={(on) => setSelected(new Set(on ? data.tasks.map((t) => t.id) : []))}
            onDeleted={() => {
              setSelected(new Set());
              list.refresh();
            }}
          />
        )}
        {data && data.tasks.length > 0 && (
          <ul class="task-list" data-testid="task-list">
            {data.tasks.map((task) => (
              <TaskRow
                key={task.id}
                api={api}
                task={task}
                onChanged={onChanged}
                selected={selected.has(task.id)}
                onSelect={select}
              />
            ))}
          </ul>
        )}
        {data && <Pager status={status} page={page} pageSize={PAGE_SIZE} total={data.total} filters={filters} />}
      </section>
    </>
  );
}
