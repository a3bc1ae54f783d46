import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import { describeError } from '../api/errors';
import type { Task } from '../api/types';
import { useAnnounce } from '../components/announcer';

interface Props {
  api: Api;
  task: Task;
  /** Called with the updated task, or null after a delete. */
  onChanged(task: Task | null): void;
}

/**
 * Cancel / retry / delete. Delete asks for a second click (no modal dialog, so it works the same with
 * a keyboard, a screen reader and in tests); the request is sent once.
 */
export function TaskActions({ api, task, onChanged }: Props) {
  const announce = useAnnounce();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  /** What the last action did, shown (not only announced) so a retry visibly took. */
  const [done, setDone] = useState<string | null>(null);

  useEffect(() => {
    if (!confirming) return undefined;
    const timer = setTimeout(() => setConfirming(false), 5000);
    return () => clearTimeout(timer);
  }, [confirming]);

  const run = async (what: string, action: () => Promise<Task | null>) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const updated = await action();
      announce(`${what}: ${task.source_name}`);
      setDone(`${what}.`);
      onChanged(updated);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  const canCancel = task.status === 'queued' || task.status === 'processing';
  const canRetry = task.status === 'failed' || task.status === 'cancelled';
  const name = <span class="visually-hidden"> {task.source_name}</span>;
  return (
    <div class="task-actions">
      {canCancel && (
        <button
          type="button"
          class="button"
          disabled={busy}
          onClick={() => run('Cancelled', () => api.cancel(task.id))}
          data-testid="task-cancel"
        >
          Cancel{name}
        </button>
      )}
      {canRetry && (
        <button
          type="button"
          class="button"
          disabled={busy}
          onClick={() => run('Queued again', () => api.retry(task.id))}
          data-testid="task-retry"
        >
          {busy ? 'Retrying…' : 'Retry'}
          {name}
        </button>
      )}
      {confirming ? (
        <button
          type="button"
          class="button button--danger"
          disabled={busy}
          onClick={() => run('Deleted', () => api.remove(task.id).then(() => null))}
          data-testid="task-delete-confirm"
        >
          Delete{name} for good?
        </button>
      ) : (
        <button
          type="button"
          class="button button--quiet"
          disabled={busy}
          onClick={() => setConfirming(true)}
          data-testid="task-delete"
        >
          Delete{name}
        </button>
      )}
      {done && !error && (
        <p class="hint task-actions__done" role="status" data-testid="task-action-done">
          {done}
        </p>
      )}
      {error && (
        <p class="error-text" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
