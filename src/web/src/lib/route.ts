import { useEffect, useState } from 'preact/hooks';
import { type SortOrder, TASK_SORTS, type TaskSort } from '../../../core/task.js';
import { TASK_STATUSES, type TaskStatus } from '../api/types';

/**
 * Hash routes, so a reload (or a bookmark) lands on the same view and filter with no server-side
 * routing: `#/` (upload + tasks, with `?q=&status=&from=&to=&sort=&order=&page=`), `#/tasks/:id` (one
 * transcript; `?t=SECONDS&hl=TEXT` opens it at a moment with words marked, as search results link),
 * `#/live` (live transcription from the microphone), `#/workers` (admins: every worker process) and
 * `#/search?q=` (hits across every transcript).
 */
export type Route =
  | ({ name: 'home'; status: TaskStatus | undefined; page: number } & ListFilters)
  | { name: 'task'; id: string; at?: number; highlight?: string }
  | { name: 'live' }
  | { name: 'workers' }
  | { name: 'search'; q: string };

/** How the task list is sorted and ordered (the API's `sort` and `order`). */
export const LIST_SORTS = TASK_SORTS;
export type ListSort = TaskSort;
export type ListOrder = SortOrder;

/**
 * The task list's filters beside status and page, as the URL carries them (`q`, `from`, `to`,
 * `sort`, `order`); absent ones are left out of the URL and mean the API's defaults.
 */
export interface ListFilters {
  /** Part of a title or file name. */
  q?: string | undefined;
  /** Created on or after this day (YYYY-MM-DD). */
  from?: string | undefined;
  /** Created on or before this day (YYYY-MM-DD). */
  to?: string | undefined;
  sort?: ListSort | undefined;
  order?: ListOrder | undefined;
}

export const LIVE_HREF = '#/live';
export const WORKERS_HREF = '#/workers';

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const task = /^\/tasks\/([^/]+)$/.exec(path);
  const params = new URLSearchParams(query);
  if (task?.[1]) return taskRoute(decodeURIComponent(task[1]), params);
  if (path === '/live') return { name: 'live' };
  if (path === '/workers') return { name: 'workers' };
  if (path === '/search') return { name: 'search', q: params.get('q') ?? '' };
  const status = params.get('status');
  const page = Number.parseInt(params.get('page') ?? '1', 10);
  return {
    name: 'home',
    status: TASK_STATUSES.find((s) => s === status),
    page: Number.isFinite(page) && page > 0 ? page : 1,
    ...parseFilters(params),
  };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The list filters of a home URL; anything malformed is dropped rather than sent to the API. */
function parseFilters(params: URLSearchParams): ListFilters {
  const filters: ListFilters = {};
  const q = params.get('q')?.trim();
  if (q) filters.q = q;
  for (const key of ['from', 'to'] as const) {
    const day = params.get(key);
    if (day && DAY.test(day)) filters[key] = day;
  }
  const sort = params.get('sort');
  filters.sort = LIST_SORTS.find((s) => s === sort);
  const order = params.get('order');
  if (order === 'asc' || order === 'desc') filters.order = order;
  return filters;
}

/** `#/?status=&page=` plus the list filters; empty parts are left out, so `#/` is the default list. */
export function homeHref(status: TaskStatus | undefined, page: number, filters: ListFilters = {}): string {
  const params = new URLSearchParams();
  if (filters.q) params.set('q', filters.q);
  if (status) params.set('status', status);
  if (filters.from) params.set('from', filters.from);
  if (filters.to) params.set('to', filters.to);
  if (filters.sort) params.set('sort', filters.sort);
  if (filters.order) params.set('order', filters.order);
  if (page > 1) params.set('page', String(page));
  const query = params.toString();
  return query ? `#/?${query}` : '#/';
}

/** The filters of a home route alone (to carry them into links that change status or page). */
export function filtersOf(route: ListFilters): ListFilters {
  return { q: route.q, from: route.from, to: route.to, sort: route.sort, order: route.order };
}

function taskRoute(id: string, params: URLSearchParams): Route {
  const route: Route = { name: 'task', id };
  const at = Number.parseFloat(params.get('t') ?? '');
  if (Number.isFinite(at) && at >= 0) route.at = at;
  const highlight = params.get('hl')?.trim();
  if (highlight) route.highlight = highlight;
  return route;
}

/** Where a task's transcript opens; `at` (seconds) and `highlight` (words to mark there) are optional. */
export function taskHref(id: string, link: { at?: number; highlight?: string } = {}): string {
  const params = new URLSearchParams();
  if (link.at !== undefined && Number.isFinite(link.at) && link.at >= 0) params.set('t', String(link.at));
  if (link.highlight?.trim()) params.set('hl', link.highlight.trim());
  const query = params.toString();
  return `#/tasks/${encodeURIComponent(id)}${query ? `?${query}` : ''}`;
}

/** `#/search?q=`: hits for `q` across every transcript. */
export function searchHref(q: string): string {
  return q ? `#/search?${new URLSearchParams({ q })}` : '#/search';
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
