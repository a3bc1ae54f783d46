import { useCallback, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import { ApiError, describeError, isRetryable } from '../api/errors';
import type { Task } from '../api/types';
import { type UploadHandle, type UploadOptions, uploadFile } from '../api/upload';
import { withSourceName } from '../lib/format';

export interface UploadItem {
  key: string;
  file: File;
  options: UploadOptions;
  loaded: number;
  total: number;
  state: 'uploading' | 'done' | 'failed' | 'cancelled';
  error: string | null;
  /** Whether another try could succeed (a dropped connection, a full queue), not a file that is not audio. */
  retryable: boolean;
  /** From Retry-After on 429: seconds to wait before trying again. */
  retryAfterSeconds: number | null;
  task: Task | null;
}

export interface Uploads {
  items: UploadItem[];
  add(files: readonly File[], options: UploadOptions): void;
  retry(key: string): void;
  cancel(key: string): void;
  dismiss(key: string): void;
}

let nextKey = 0;

/** Uploads files in parallel, one XHR each, tracking per-file progress and a readable error. */
export function useUploads(api: Api, announce: (message: string) => void, onCreated: (task: Task) => void): Uploads {
  const [items, setItems] = useState<UploadItem[]>([]);
  const handles = useRef(new Map<string, UploadHandle>());

  const update = useCallback((key: string, patch: Partial<UploadItem>) => {
    setItems((prev) => prev.map((item) => (item.key === key ? { ...item, ...patch } : item)));
  }, []);

  const start = useCallback(
    (key: string, file: File, options: UploadOptions) => {
      const handle = uploadFile(api, file, options, (loaded, total) => update(key, { loaded, total }));
      handles.current.set(key, handle);
      handle.done
        .then((task) => {
          update(key, { state: 'done', loaded: file.size, task, error: null });
          announce(`Uploaded ${file.name}; it is queued for transcription.`);
          onCreated(task);
        })
        .catch((err: unknown) => {
          if (err instanceof ApiError && err.code === 'aborted') {
            update(key, { state: 'cancelled', error: null });
            return;
          }
          const message = withSourceName(describeError(err, file.name), file.name);
          const retryAfterSeconds = err instanceof ApiError ? err.retryAfterSeconds : null;
          update(key, { state: 'failed', error: message, retryable: isRetryable(err), retryAfterSeconds });
          announce(`Upload failed: ${message}`);
        })
        .finally(() => handles.current.delete(key));
    },
    [api, announce, onCreated, update],
  );

  const add = useCallback(
    (files: readonly File[], options: UploadOptions) => {
      const fresh = files.map<UploadItem>((file) => ({
        key: `u${nextKey++}`,
        file,
        options,
        loaded: 0,
        total: file.size,
        state: 'uploading',
        error: null,
        retryable: true,
        retryAfterSeconds: null,
        task: null,
      }));
      setItems((prev) => [...fresh, ...prev]);
      for (const item of fresh) start(item.key, item.file, item.options);
    },
    [start],
  );

  const retry = useCallback(
    (key: string) => {
      const item = items.find((i) => i.key === key);
      if (!item || item.state === 'uploading') return;
      update(key, { state: 'uploading', loaded: 0, error: null, retryAfterSeconds: null });
      start(key, item.file, item.options);
    },
    [items, start, update],
  );

  useLeaveGuard(items.some((i) => i.state === 'uploading'));

  const cancel = useCallback((key: string) => handles.current.get(key)?.abort(), []);
  const dismiss = useCallback((key: string) => setItems((prev) => prev.filter((i) => i.key !== key)), []);

  return { items, add, retry, cancel, dismiss };
}

/**
 * While an upload runs, leaving or closing the page asks first: the browser would drop the request
 * and the file would have to be sent again from the start.
 */
function useLeaveGuard(active: boolean): void {
  // A layout effect runs as the "uploading" state reaches the DOM, not after the next paint: a page
  // closed in between would otherwise leave without asking.
  useLayoutEffect(() => {
    if (!active) return undefined;
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      // Older browsers show the dialog only when returnValue is set.
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [active]);
}
