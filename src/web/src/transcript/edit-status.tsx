import { CONFLICT_MESSAGE } from '../api/errors';
import type { EditConflict } from '../hooks/use-transcript-edits';

interface BarProps {
  revision: number;
  historyOpen: boolean;
  /** History is offered for the finished machine transcript only. */
  canEdit: boolean;
  onHistory(): void;
  onHelp(): void;
}

/** The toolbar's second row: whether the transcript was edited, its history, the shortcuts. */
export function EditBar({ revision, historyOpen, canEdit, onHistory, onHelp }: BarProps) {
  return (
    <div class="edit-bar">
      {revision > 0 && (
        <span class="badge badge--edited" data-testid="edited-badge">
          Edited · revision {revision}
        </span>
      )}
      {canEdit && (
        <button
          type="button"
          class="button"
          aria-expanded={historyOpen}
          aria-controls="history-panel"
          onClick={onHistory}
          data-testid="history-button"
        >
          History
        </button>
      )}
      <button
        type="button"
        class="button button--quiet"
        onClick={onHelp}
        aria-keyshortcuts="?"
        data-testid="shortcuts-button"
      >
        Keyboard shortcuts <kbd>?</kbd>
      </button>
    </div>
  );
}

interface ConflictProps {
  conflict: EditConflict;
  onReload(): void;
  onDismiss(): void;
}

/** After a refused save: what happened, the user's text to copy, and the way to the newest revision. */
export function ConflictNotice({ conflict, onReload, onDismiss }: ConflictProps) {
  return (
    <div class="conflict" role="alert" data-testid="edit-conflict">
      <p>
        {conflict.reloaded
          ? 'The latest version is shown now. Your text was not saved; copy it from here if you still need it.'
          : CONFLICT_MESSAGE}
      </p>
      {conflict.unsaved && (
        <>
          <label class="hint" for="conflict-unsaved">
            Your unsaved text
          </label>
          <textarea
            id="conflict-unsaved"
            class="conflict__text"
            readOnly
            value={conflict.unsaved}
            rows={3}
            data-testid="edit-conflict-text"
          />
        </>
      )}
      <div class="conflict__actions">
        {!conflict.reloaded && (
          <button type="button" class="button button--primary" onClick={onReload} data-testid="edit-conflict-reload">
            Reload
          </button>
        )}
        <button type="button" class="button" onClick={onDismiss}>
          Dismiss
        </button>
      </div>
    </div>
  );
}
