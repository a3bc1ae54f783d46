import { useEffect, useRef } from 'preact/hooks';

/** What the transcript page's single-key shortcuts do; the help dialog lists them from here. */
export type ShortcutAction = 'toggle' | 'back' | 'forward' | 'next' | 'previous' | 'edit' | 'search' | 'help';

export interface Shortcut {
  action: ShortcutAction;
  /** KeyboardEvent.key values; ' ' is shown as Space. */
  keys: readonly string[];
  label: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { action: 'toggle', keys: ['k', ' '], label: 'Play or pause' },
  { action: 'back', keys: ['j'], label: 'Back 5 seconds' },
  { action: 'forward', keys: ['l'], label: 'Forward 5 seconds' },
  { action: 'next', keys: ['n'], label: 'Next segment' },
  { action: 'previous', keys: ['p'], label: 'Previous segment' },
  { action: 'edit', keys: ['e'], label: 'Edit the text of the current segment' },
  { action: 'search', keys: ['/'], label: 'Search the transcript' },
  { action: 'help', keys: ['?'], label: 'Show these shortcuts' },
];

/** Keys inside the text editor, listed in the help dialog too. */
export const EDITOR_KEYS: readonly { keys: string; label: string }[] = [
  { keys: 'Enter', label: 'Save the text' },
  { keys: 'Esc', label: 'Cancel the edit' },
  { keys: 'Alt+Enter', label: 'Split the segment at the cursor' },
];

const BY_KEY = new Map(SHORTCUTS.flatMap((s) => s.keys.map((k) => [k, s.action] as const)));

/**
 * Single-key shortcuts for the whole page, ignored while the user types (inputs, text areas, the
 * editor), with a modifier held, when the key was handled already, or while a dialog is open. Space
 * only counts where it would not press a focused control or the player's own buttons.
 */
export function useShortcuts(run: (action: ShortcutAction) => void): void {
  const latest = useRef(run);
  latest.current = run;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
      const action = BY_KEY.get(e.key);
      if (!action || isTyping(e.target) || document.querySelector('dialog[open]')) return;
      if (e.key === ' ' && isInteractive(e.target)) return;
      e.preventDefault();
      latest.current(action);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target.closest('input, textarea, select, audio, video') !== null;
}

function isInteractive(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    target.closest('button, a, summary, [role="slider"], [tabindex]:not([tabindex="-1"])') !== null
  );
}
