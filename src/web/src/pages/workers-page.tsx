import { useState } from 'preact/hooks';
import type { Api } from '../api/client';
import { describeError } from '../api/errors';
import type { RegisteredWorker } from '../api/types';
import { useAnnounce } from '../components/announcer';
import { useWorkers } from '../hooks/use-workers';
import { formatDate, formatDuration } from '../lib/format';
import { taskHref } from '../lib/route';

interface Props {
  api: Api;
}

/**
 * Admins: every worker process registered in the store, on every host, with a Drain button (the
 * worker claims nothing new, finishes what it runs, then exits). Stale rows are workers that stopped
 * heartbeating: crashed, hung or cut off from the database.
 */
export function WorkersPage({ api }: Props) {
  const { list, forbidden, error, refresh } = useWorkers(api);
  const announce = useAnnounce();
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const drain = async (w: RegisteredWorker, on: boolean) => {
    setBusy(w.id);
    setActionError(null);
    try {
      await api.drainWorker(w.id, on);
      announce(on ? `Worker ${w.id} is draining.` : `Worker ${w.id} takes tasks again.`);
      refresh();
    } catch (err) {
      setActionError(describeError(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section class="card workers" aria-labelledby="workers-title" aria-busy={list === null && !forbidden && !error}>
      <h1 id="workers-title">Workers</h1>
      {forbidden && (
        <p class="hint" data-testid="workers-forbidden">
          Only administrators can see the workers.
        </p>
      )}
      {error && (
        <p class="error-text" role="alert" data-testid="workers-error">
          {error}
        </p>
      )}
      {actionError && (
        <p class="error-text" role="alert">
          {actionError}
        </p>
      )}
      {list && (
        <>
          <p class="hint">
            Every worker process sharing this server’s database. A worker is stale when it has not reported for{' '}
            {formatDuration(list.lease_ms / 1000)}.{list.paused === true && ' This server’s workers are paused.'}
          </p>
          {list.workers.length === 0 ? (
            <p class="empty" data-testid="workers-empty">
              No worker is registered.
            </p>
          ) : (
            <div class="workers__scroll">
              <table class="workers__table" data-testid="workers-table">
                <thead>
                  <tr>
                    <th scope="col">Host</th>
                    <th scope="col">PID</th>
                    <th scope="col">Engine</th>
                    <th scope="col">Slots</th>
                    <th scope="col">Tasks</th>
                    <th scope="col">Version</th>
                    <th scope="col">Last heartbeat</th>
                    <th scope="col">State</th>
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.workers.map((w) => (
                    <WorkerRow key={w.id} worker={w} busy={busy === w.id} onDrain={drain} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function WorkerRow({
  worker: w,
  busy,
  onDrain,
}: {
  worker: RegisteredWorker;
  busy: boolean;
  onDrain(w: RegisteredWorker, on: boolean): void;
}) {
  const state = w.stale ? 'stale' : w.state;
  return (
    <tr data-testid="worker-row" data-worker-id={w.id} data-state={state}>
      <td>
        <span class="workers__host">{w.host}</span>
        <span class="workers__id">{w.id}</span>
      </td>
      <td>{w.pid}</td>
      <td>{w.engine}</td>
      <td>{w.slots}</td>
      <td>
        {w.task_ids.length === 0
          ? 'idle'
          : w.task_ids.map((id) => (
              <a key={id} class="workers__task" href={taskHref(id)}>
                {id.slice(0, 8)}
              </a>
            ))}
      </td>
      <td>{w.version}</td>
      <td>
        <time dateTime={w.heartbeat_at} title={formatDate(w.heartbeat_at)}>
          {formatDuration(w.heartbeat_age_ms / 1000)} ago
        </time>
      </td>
      <td>
        <span class={`badge badge--worker-${state}`} data-testid="worker-state">
          {STATE_TEXT[state]}
        </span>
      </td>
      <td>
        {!w.stale && (
          <button
            type="button"
            class="button button--quiet"
            disabled={busy}
            onClick={() => onDrain(w, w.state !== 'draining')}
            data-testid={w.state === 'draining' ? 'worker-undrain' : 'worker-drain'}
          >
            {w.state === 'draining' ? 'Undrain' : 'Drain'}
          </button>
        )}
      </td>
    </tr>
  );
}

const STATE_TEXT: Record<RegisteredWorker['state'] | 'stale', string> = {
  running: 'Running',
  draining: 'Draining',
  stale: 'Stale',
};
