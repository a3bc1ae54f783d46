import { type ComponentChildren, Fragment } from 'preact';
import type { Segment } from '../api/types';
import { formatClock } from '../lib/format';
import { memo } from '../lib/memo';

interface Props {
  segment: Segment;
  index: number;
  active: boolean;
  /** Index of the word being spoken when this segment is active, else -1. */
  activeWord: number;
  terms: readonly string[];
  match: boolean;
  currentMatch: boolean;
  /** The segment a link (`?t=`) pointed at. */
  linked: boolean;
  /** Differs from the machine transcript. */
  edited: boolean;
  /** Clicking a word opens the editor instead of seeking. */
  editMode: boolean;
  /** The editor, in place of the text, while this segment is being edited. */
  editor: ComponentChildren | null;
  onSeek(seconds: number): void;
  onEdit(index: number, word: number): void;
}

/**
 * One segment: a timestamp button (the keyboard path: Tab to it, Enter seeks) and the text, whose
 * words can also be clicked to seek to that word (or, in edit mode, to correct it). Memoised: during
 * playback only the segments whose highlight changes re-render.
 */
export const SegmentItem = memo(function SegmentItem(props: Props) {
  const { segment, index, active, activeWord, terms, match, currentMatch, linked, edited, editMode, editor } = props;
  const { onSeek, onEdit } = props;

  const onTextClick = (e: MouseEvent) => {
    // Selecting text to copy it must not jump the player.
    if (!window.getSelection()?.isCollapsed) return;
    const word = (e.target as HTMLElement).closest<HTMLElement>('[data-start]');
    if (editMode) {
      const at = word?.dataset.word;
      onEdit(index, at === undefined ? -1 : Number(at));
      return;
    }
    onSeek(word ? Number(word.dataset.start) : segment.start);
  };

  const classes = ['segment'];
  if (active) classes.push('segment--active');
  if (match) classes.push('segment--match');
  if (currentMatch) classes.push('segment--current-match');
  if (linked) classes.push('segment--linked');
  if (editMode) classes.push('segment--editable');

  return (
    <li
      class={classes.join(' ')}
      id={`segment-${index}`}
      aria-current={active ? 'true' : undefined}
      data-testid="segment"
      data-start={segment.start}
      data-end={segment.end}
      data-linked={linked ? 'true' : undefined}
    >
      <button
        type="button"
        class="segment__time"
        onClick={() => onSeek(segment.start)}
        aria-label={`Play from ${formatClock(segment.start)}`}
        data-testid="segment-seek"
      >
        {formatClock(segment.start)}
      </button>
      <div class="segment__body">
        {(segment.speaker || edited) && (
          <p class="segment__meta">
            {segment.speaker && (
              <span class="segment__speaker" data-testid="segment-speaker">
                {segment.speaker}
              </span>
            )}
            {edited && (
              <span class="segment__edited" data-testid="segment-edited">
                edited
              </span>
            )}
          </p>
        )}
        {editor ?? (
          // biome-ignore lint/a11y/useKeyWithClickEvents: word-level seeking is a pointer shortcut (text stays selectable); the timestamp button (and, in edit mode, the Edit button) is the keyboard path.
          <p class="segment__text" onClick={onTextClick} data-testid="segment-text">
            {segment.words && segment.words.length > 0
              ? segment.words.map((w, i) => (
                  <Fragment key={w.start}>
                    {i > 0 && ' '}
                    <span data-start={w.start} data-word={i} class={wordClass(w.word, i === activeWord, terms)}>
                      {w.word}
                    </span>
                  </Fragment>
                ))
              : highlight(segment.text, terms)}
          </p>
        )}
      </div>
      {editMode && !editor && (
        <button
          type="button"
          class="button button--quiet segment__edit"
          onClick={() => onEdit(index, -1)}
          aria-label={`Edit the text at ${formatClock(segment.start)}`}
          data-testid="segment-edit"
        >
          Edit
        </button>
      )}
    </li>
  );
});

function wordClass(word: string, active: boolean, terms: readonly string[]): string {
  const lower = word.toLowerCase();
  const hit = terms.some((t) => lower.includes(t));
  return ['word', active ? 'word--active' : '', hit ? 'word--match' : ''].filter(Boolean).join(' ');
}

/** Text without word times: mark the search terms inline. */
function highlight(text: string, terms: readonly string[]) {
  if (terms.length === 0) return text;
  const escaped = terms.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const parts = text.split(new RegExp(`(${escaped.join('|')})`, 'gi'));
  return parts.map((part, i) => (i % 2 === 1 ? <mark key={`${i}-${part}`}>{part}</mark> : part));
}
