import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import { ApiError, describeError } from '../api/errors';
import type { WorkerList } from '../api/types';

/** How often the list is read again: heartbeat ages and stale flags move on their own. */
const REFRESH_MS = 3000;

export interface WorkersState {
  list: WorkerList | null;
  /** The server refused: the caller is not an admin. */
  forbidden: boolean;
  error: string | null;
  refresh(): void;
}

/**
 * The worker registry, read every REFRESH_MS while the page is shown (one request at a time; a
 * refused one stops the polling, since asking again will not change the answer).
 */
export function useWorkers(api: Api): WorkersState {
  const [list, setList] = useState<WorkerList | null>(null);
  const [forbidden, setForbidden] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stop = false;
    const load = async () => {
      try {
        const next = await api.workers();
        if (stop) return;
        setList(next);
        setError(null);
      } catch (err) {
        if (stop) return;
        if (err instanceof ApiError && err.status === 403) {
          setForbidden(true);
          return;
        }
        setError(describeError(err));
      }
      if (!stop) timer = setTimeout(() => void load(), REFRESH_MS);
    };
    void load();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [api, tick]);

  const refresh = useCallback(() => setTick((t) => t + 1), []);
  return { list, forbidden, error, refresh };
}
