import { useEffect, useState } from 'preact/hooks';
import { TASK_STATUSES, type TaskStatus } from '../api/types';

/**
 * Hash routes, so a reload (or a bookmark) lands on the same view and filter with no server-side
 * routing: `#/` (upload + tasks, with `?status=&page=`), `#/tasks/:id` (one transcript; `?t=SECONDS&hl=TEXT`
 * opens it at a moment with words marked, as search results link) and `#/live`
 * (live transcription from the microphone) and `#/workers` (admins: every worker process).
 */
export type Route =
  | { name: 'home'; status: TaskStatus | undefined; page: number }
  | { name: 'task'; id: string; at?: number; highlight?: string }
  | { name: 'live' }
  | { name: 'workers' };

export const LIVE_HREF = '#/live';
export const WORKERS_HREF = '#/workers';

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const task = /^\/tasks\/([^/]+)$/.exec(path);
  const params = new URLSearchParams(query);
  if (task?.[1]) return taskRoute(decodeURIComponent(task[1]), params);
  if (path === '/live') return { name: 'live' };
  if (path === '/workers') return { name: 'workers' };
  const status = params.get('status');
  const page = Number.parseInt(params.get('page') ?? '1', 10);
  return {
    name: 'home',
    status: TASK_STATUSES.find((s) => s === status),
    page: Number.isFinite(page) && page > 0 ? page : 1,
  };
}

export function homeHref(status: TaskStatus | undefined, page: number): string {
  const params = new URLSearchParams();
  if (status) params.set('status', status);
  if (page > 1) params.set('page', String(page));
  const query = params.toString();
  return query ? `#/?${query}` : '#/';
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

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
