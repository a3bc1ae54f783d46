import type { RevisionList, TranscriptRevision } from '../api/types';
import { formatDate } from '../lib/format';

interface Props {
  list: RevisionList | null;
  error: string | null;
  busy: boolean;
  onRevert(revision: number): void;
  onClose(): void;
}

const KIND_TEXT: Record<TranscriptRevision['kind'], string> = {
  machine: 'Machine transcript',
  edit: 'Edited',
  revert: 'Reverted',
};

/** Every revision of the transcript, newest first: who made it, when, how; any older one can be restored. */
export function HistoryPanel({ list, error, busy, onRevert, onClose }: Props) {
  const revisions = list ? [...list.revisions].reverse() : [];
  return (
    <section class="history" aria-labelledby="history-title" data-testid="history-panel">
      <div class="history__head">
        <h2 id="history-title">History</h2>
        <button type="button" class="button button--quiet" onClick={onClose} data-testid="history-close">
          Close
        </button>
      </div>
      {error && (
        <p class="error-text" role="alert">
          {error}
        </p>
      )}
      {!list && !error && <p aria-busy="true">Loading…</p>}
      {list && (
        <ol class="history__list">
          {revisions.map((r) => {
            const current = r.revision === list.current;
            return (
              <li
                key={r.revision}
                class="history__item"
                data-testid="revision"
                data-revision={r.revision}
                aria-current={current ? 'true' : undefined}
              >
                <p class="history__what">
                  <strong>Revision {r.revision}</strong> · {describe(r)}
                  {current && <span class="badge history__current">current</span>}
                </p>
                <p class="hint">
                  {r.user_name ?? (r.kind === 'machine' ? 'Earshot' : 'Someone')} ·{' '}
                  <time dateTime={r.created_at}>{formatDate(r.created_at)}</time>
                </p>
                {!current && (
                  <button
                    type="button"
                    class="button"
                    disabled={busy}
                    onClick={() => onRevert(r.revision)}
                    aria-label={`Revert to revision ${r.revision}`}
                    data-testid="revert"
                  >
                    Revert to this
                  </button>
                )}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

function describe(r: TranscriptRevision): string {
  if (r.kind === 'revert') return `${KIND_TEXT.revert} to revision ${r.reverted_to ?? '?'}`;
  if (r.kind === 'edit') {
    const n = r.operations.length;
    return `${KIND_TEXT.edit} (${n} change${n === 1 ? '' : 's'})`;
  }
  return KIND_TEXT[r.kind];
}
