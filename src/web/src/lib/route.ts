import { useEffect, useState } from 'preact/hooks';
import { TASK_STATUSES, type TaskStatus } from '../api/types';

/**
 * Hash routes, so a reload (or a bookmark) lands on the same view and filter with no server-side
 * routing: `#/` (upload + tasks, with `?status=&page=`), `#/tasks/:id` (one transcript) and `#/live`
 * (live transcription from the microphone) and `#/workers` (admins: every worker process).
 */
export type Route =
  | { name: 'home'; status: TaskStatus | undefined; page: number }
  | { name: 'task'; id: string }
  | { name: 'live' }
  | { name: 'workers' };

export const LIVE_HREF = '#/live';
export const WORKERS_HREF = '#/workers';

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const task = /^\/tasks\/([^/]+)$/.exec(path);
  if (task?.[1]) return { name: 'task', id: decodeURIComponent(task[1]) };
  if (path === '/live') return { name: 'live' };
  if (path === '/workers') return { name: 'workers' };
  const params = new URLSearchParams(query);
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

export function taskHref(id: string): string {
  return `#/tasks/${encodeURIComponent(id)}`;
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
