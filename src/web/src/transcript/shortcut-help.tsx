import { Fragment } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { EDITOR_KEYS, SHORTCUTS } from '../hooks/use-shortcuts';

interface Props {
  open: boolean;
  onClose(): void;
}

/**
 * The keyboard shortcuts, in a modal <dialog>: the browser traps focus in it, Esc closes it and focus
 * goes back to where it was.
 */
export function ShortcutHelp({ open, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const el = dialog.current;
    if (!el) return;
    if (open && !el.open) el.showModal();
    if (!open && el.open) el.close();
  }, [open]);

  return (
    <dialog
      ref={dialog}
      class="shortcut-help"
      aria-labelledby="shortcut-help-title"
      onClose={onClose}
      data-testid="shortcut-help"
    >
      <h2 id="shortcut-help-title">Keyboard shortcuts</h2>
      <p class="hint">Anywhere on this page, except while typing in a field.</p>
      <dl class="shortcut-help__list">
        {SHORTCUTS.map((s) => (
          <div key={s.action} class="shortcut-help__row">
            <dt>
              {s.keys.map((k, i) => (
                <Fragment key={k}>
                  {i > 0 && ' or '}
                  <kbd>{k === ' ' ? 'Space' : k}</kbd>
                </Fragment>
              ))}
            </dt>
            <dd>{s.label}</dd>
          </div>
        ))}
      </dl>
      <h3 class="shortcut-help__sub">While editing text</h3>
      <dl class="shortcut-help__list">
        {EDITOR_KEYS.map((s) => (
          <div key={s.keys} class="shortcut-help__row">
            <dt>
              <kbd>{s.keys}</kbd>
            </dt>
            <dd>{s.label}</dd>
          </div>
        ))}
      </dl>
      <form method="dialog">
        <button type="submit" class="button button--primary" data-testid="shortcut-help-close">
          Close
        </button>
      </form>
    </dialog>
  );
}
