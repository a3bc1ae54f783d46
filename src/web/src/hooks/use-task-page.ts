import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import { describeError } from '../api/errors';
import type { Task, TaskPage, TaskStatus } from '../api/types';
import type { ListFilters } from '../lib/route';

export const PAGE_SIZE = 20;
/** Several events in a burst (a batch upload, a restart) become one re-read of the page. */
const REFRESH_DEBOUNCE_MS = 250;

export interface TaskPageState {
  page: TaskPage | null;
  error: string | null;
  loading: boolean;
  /** Re-reads the page soon (debounced). */
  refresh(): void;
  /**
   * Applies a task the event stream reported. A task on this page is updated in place (progress ticks
   * cost no request); a task never seen, or one whose status changed, may move between pages or
   * filters and change the counts, so the page is re-read.
   */
  applyTask(task: Task, fromSnapshot?: boolean): void;
  /**
   * Shows a task this page just created at once (top of the first page, counts included), so the
   * list never reads "No tasks" / "All 0" after an upload while the re-read is still on its way.
   */
  addCreated(task: Task): void;
}

export function useTaskPage(
  api: Api,
  status: TaskStatus | undefined,
  pageNumber: number,
  filters: ListFilters = {},
): TaskPageState {
  const { q, from, to, sort, order } = filters;
  /** Filters that hide tasks: with one on, a new upload may not belong on this page. */
  const narrowed = Boolean(q || from || to);
  const [page, setPage] = useState<TaskPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  const known = useRef(new Map<string, TaskStatus>());
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const refresh = useCallback(() => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      setVersion((v) => v + 1);
    }, REFRESH_DEBOUNCE_MS);
  }, []);

  useEffect(() => () => clearTimeout(timer.current ?? undefined), []);

  useEffect(() => {
    let stale = false;
    setLoading(true);
    api
      .listTasks({ status, q, from, to, sort, order, limit: PAGE_SIZE, offset: (pageNumber - 1) * PAGE_SIZE })
      .then((result) => {
        if (stale) return;
        for (const t of result.tasks) known.current.set(t.id, t.status);
        setPage(result);
        setError(null);
      })
      .catch((err: unknown) => {
        if (!stale) setError(describeError(err));
      })
      .finally(() => {
        if (!stale) setLoading(false);
      });
    return () => {
      stale = true;
    };
    // `version` is the refresh trigger.
  }, [api, status, pageNumber, q, from, to, sort, order, version]);

  const applyTask = useCallback(
    (task: Task, fromSnapshot = false) => {
      const before = known.current.get(task.id);
      known.current.set(task.id, task.status);
      setPage((prev) => {
        if (!prev?.tasks.some((t) => t.id === task.id)) return prev;
        return { ...prev, tasks: prev.tasks.map((t) => (t.id === task.id ? task : t)) };
      });
      const changed = before === undefined ? !fromSnapshot : before !== task.status;
      if (changed) refresh();
    },
    [refresh],
  );

  const addCreated = useCallback(
    (task: Task) => {
      // Newest first is the default order; any other order or a narrowing filter waits for the re-read.
      const fits = pageNumber === 1 && !narrowed && !sort && !order && (status === undefined || status === task.status);
      setPage((prev) => {
        if (!prev || prev.tasks.some((t) => t.id === task.id)) return prev;
        return {
          tasks: fits ? [task, ...prev.tasks].slice(0, PAGE_SIZE) : prev.tasks,
          total: fits ? prev.total + 1 : prev.total,
          counts: { ...prev.counts, [task.status]: (prev.counts[task.status] ?? 0) + 1 },
        };
      });
      known.current.set(task.id, task.status);
      refresh();
    },
    [pageNumber, status, narrowed, sort, order, refresh],
  );

  return { page, error, loading, refresh, applyTask, addCreated };
}
