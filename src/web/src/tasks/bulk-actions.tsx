import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import { describeError } from '../api/errors';
import { type DeleteResult, OUTPUT_FORMATS, type OutputFormat, type Task } from '../api/types';
import { useAnnounce } from '../components/announcer';
import { saveBlob } from '../lib/download';

interface Props {
  api: Api;
  /** The tasks on this page. */
  tasks: Task[];
  selected: ReadonlySet<string>;
  onSelectAll(selected: boolean): void;
  /** After a delete: the ids that are gone (deleted now, or not there any more). */
  onDeleted(ids: string[]): void;
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * Select-all for the page, and what can be done with the selection: delete (after a confirm dialog)
 * or download the transcripts as one zip in a chosen format. Each sends one request for the lot.
 */
export function BulkActions({ api, tasks, selected, onSelectAll, onDeleted }: Props) {
  const announce = useAnnounce();
  const [format, setFormat] = useState<OutputFormat>('txt');
  const [busy, setBusy] = useState<'delete' | 'export' | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const selectAll = useRef<HTMLInputElement>(null);

  const ids = tasks.filter((t) => selected.has(t.id)).map((t) => t.id);
  const all = tasks.length > 0 && ids.length === tasks.length;
  useEffect(() => {
    if (selectAll.current) selectAll.current.indeterminate = ids.length > 0 && !all;
  }, [ids.length, all]);

  const report = (text: string) => {
    setMessage(text);
    announce(text);
  };

  const remove = async () => {
    dialog.current?.close();
    setBusy('delete');
    setError(null);
    setMessage(null);
    try {
      const result: DeleteResult = await api.removeMany(ids);
      const missing = result.not_found.length;
      report(
        `Deleted ${count(result.deleted.length, 'task')}.` +
          (missing > 0 ? ` ${count(missing, 'task was', 'tasks were')} already gone.` : ''),
      );
      onDeleted(ids);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  };

  const download = async () => {
    setBusy('export');
    setError(null);
    setMessage(null);
    try {
      const blob = await api.exportMany(ids, format);
      saveBlob(blob, `earshot-transcripts-${format}.zip`);
      report(`Downloaded ${count(ids.length, 'transcript')} as ${format.toUpperCase()} (zip).`);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  };

  const feedback = (
    <>
      {message && !error && (
        <p class="hint bulk__message" role="status" data-testid="bulk-message">
          {message}
        </p>
      )}
      {error && (
        <p class="error-text bulk__message" role="alert" data-testid="bulk-error">
          {error}
        </p>
      )}
    </>
  );
  // An emptied page (everything on it deleted) still says what happened.
  if (tasks.length === 0) return feedback;
  return (
    <div class="bulk" data-testid="bulk-actions">
      <label class="bulk__all">
        <input
          type="checkbox"
          ref={selectAll}
          checked={all}
          disabled={tasks.length === 0}
          onChange={(e) => onSelectAll(e.currentTarget.checked)}
          data-testid="select-all"
        />
        Select all on this page
      </label>
      <span class="hint" data-testid="selected-count" aria-live="polite">
        {ids.length > 0 ? `${ids.length} selected` : ''}
      </span>
      <div class="bulk__buttons">
        <label class="visually-hidden" for="bulk-format">
          Download format
        </label>
        <select
          id="bulk-format"
          value={format}
          onChange={(e) => setFormat(OUTPUT_FORMATS.find((f) => f === e.currentTarget.value) ?? 'txt')}
          data-testid="bulk-format"
        >
          {OUTPUT_FORMATS.map((f) => (
            <option key={f} value={f}>
              {f.toUpperCase()}
            </option>
          ))}
        </select>
        <button
          type="button"
          class="button"
          disabled={ids.length === 0 || busy !== null}
          onClick={download}
          data-testid="bulk-download"
        >
          {busy === 'export' ? 'Preparing zip…' : 'Download selected'}
        </button>
        <button
          type="button"
          class="button button--danger"
          disabled={ids.length === 0 || busy !== null}
          onClick={() => dialog.current?.showModal()}
          data-testid="bulk-delete"
        >
          {busy === 'delete' ? 'Deleting…' : 'Delete selected'}
        </button>
      </div>
      {feedback}
      <dialog
        ref={dialog}
        class="confirm-dialog"
        aria-labelledby="bulk-delete-title"
        aria-describedby="bulk-delete-text"
        data-testid="bulk-delete-dialog"
      >
        <h2 id="bulk-delete-title">Delete {count(ids.length, 'task')}?</h2>
        <p id="bulk-delete-text">
          {ids.length === 1 ? 'Its recording and transcript are' : 'Their recordings and transcripts are'} removed for
          good.
        </p>
        <form method="dialog" class="confirm-dialog__buttons">
          {/* First in the dialog, so it has the focus on open: Enter keeps the tasks. */}
          <button type="submit" class="button" data-testid="bulk-delete-cancel">
            Keep them
          </button>
          <button type="button" class="button button--danger" onClick={remove} data-testid="bulk-delete-confirm">
            Delete {count(ids.length, 'task')}
          </button>
        </form>
      </dialog>
    </div>
  );
}
