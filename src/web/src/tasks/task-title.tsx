import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import { describeError } from '../api/errors';
import type { Task } from '../api/types';
import { useAnnounce } from '../components/announcer';
import { taskHref } from '../lib/route';

/** What a task is called in the list: its title, or the file name until it has one. */
export function taskName(task: Task): string {
  return task.title?.trim() || task.source_name;
}

interface Props {
  api: Api;
  task: Task;
  onRenamed(task: Task): void;
}

/**
 * The task's name as a link, with Rename beside it. Renaming edits in place: Enter (or Save) sends
 * the PATCH once, Esc (or Cancel) puts the name back; an empty title goes back to the file name.
 * Focus returns to the Rename button afterwards, so a keyboard user stays where they were.
 */
export function TaskTitle({ api, task, onRenamed }: Props) {
  const announce = useAnnounce();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const renameButton = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(false);
  const name = taskName(task);

  useEffect(() => {
    if (editing) input.current?.select();
    else if (wasEditing.current) renameButton.current?.focus();
    wasEditing.current = editing;
  }, [editing]);

  const start = () => {
    setDraft(name);
    setError(null);
    setEditing(true);
  };

  const save = async () => {
    if (busy) return;
    const title = draft.trim();
    if (title === name) {
      setEditing(false);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const updated = await api.rename(task.id, title || null);
      announce(`Renamed to ${taskName(updated)}.`);
      onRenamed(updated);
      setEditing(false);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  if (!editing) {
    return (
      <span class="task-title">
        <a class="task__name" href={taskHref(task.id)} data-testid="task-link">
          {name}
        </a>
        {name !== task.source_name && (
          <span class="task-title__file" data-testid="task-file-name">
            {task.source_name}
          </span>
        )}
        <button
          type="button"
          class="button button--quiet button--small"
          ref={renameButton}
          onClick={start}
          data-testid="task-rename"
        >
          Rename<span class="visually-hidden"> {name}</span>
        </button>
      </span>
    );
  }
  const inputId = `title-${task.id}`;
  return (
    <form
      class="task-title task-title--editing"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label class="visually-hidden" for={inputId}>
        Title of {task.source_name}
      </label>
      <input
        id={inputId}
        ref={input}
        value={draft}
        maxLength={200}
        disabled={busy}
        onInput={(e) => setDraft(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            setEditing(false);
          }
        }}
        data-testid="task-title-input"
      />
      <button type="submit" class="button button--primary button--small" disabled={busy} data-testid="task-title-save">
        Save
      </button>
      <button
        type="button"
        class="button button--quiet button--small"
        disabled={busy}
        onClick={() => setEditing(false)}
        data-testid="task-title-cancel"
      >
        Cancel
      </button>
      {error && (
        <p class="error-text" role="alert" data-testid="task-title-error">
          {error}
        </p>
      )}
    </form>
  );
}
