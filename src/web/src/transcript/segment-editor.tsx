import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { EditOperation, Segment } from '../api/types';
import { formatClock } from '../lib/format';

interface Props {
  segment: Segment;
  index: number;
  /** The word clicked to open the editor (selected, so typing replaces it), or -1. */
  word: number;
  isLast: boolean;
  /** Speaker names already used in this transcript, offered as suggestions. */
  speakers: readonly string[];
  busy: boolean;
  /** Goes up when the user tried to edit elsewhere with this editor's changes unsaved. */
  nudge: number;
  /** Whether the text or speaker differ from the segment's (false again once the editor closes). */
  onChanged(changed: boolean): void;
  /** Saves the operations (the parent closes the editor once saved; on a refusal it stays open). */
  onSave(operations: EditOperation[], unsaved: string): Promise<boolean>;
  onClose(): void;
}

/**
 * A segment's text in a text area, in place of the text. Only the text changes: the player is not
 * touched, so the recording keeps playing while the user types. Enter saves, Esc cancels, Alt+Enter
 * splits at the cursor; a speaker can be set (or, when the segment had one, renamed in every segment
 * that has it), and the segment merged with the next one.
 */
export function SegmentEditor(props: Props) {
  const { segment, index, word, isLast, speakers, busy, nudge, onChanged, onSave, onClose } = props;
  const [text, setText] = useState(segment.text.trim());
  const [speaker, setSpeaker] = useState(segment.speaker ?? '');
  const [hint, setHint] = useState<string | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);

  // Before the first paint: focus moved any later could pull it from a field the user is already in.
  useLayoutEffect(() => {
    const el = area.current;
    if (!el) return;
    // No scrolling: the segment is on screen already (it was clicked), and a jump would lose the place.
    el.focus({ preventScroll: true });
    const [from, to] = wordRange(el.value, word);
    el.setSelectionRange(from, to);
  }, []);

  const changed =
    text.replace(/\s+/g, ' ').trim() !== segment.text.trim() || speaker.trim() !== (segment.speaker ?? '');
  useEffect(() => onChanged(changed), [changed, onChanged]);
  useEffect(() => () => onChanged(false), [onChanged]);
  const firstNudge = useRef(nudge);
  useEffect(() => {
    if (nudge === firstNudge.current) return;
    setHint('This segment has unsaved changes: save them (Enter) or cancel (Esc) first.');
    area.current?.focus({ preventScroll: true });
  }, [nudge]);

  /** Text and speaker changes, before `extra` (a split or merge). */
  const changes = (): EditOperation[] => {
    const ops: EditOperation[] = [];
    const clean = text.replace(/\s+/g, ' ').trim();
    if (clean !== segment.text.trim()) ops.push({ op: 'replace_text', segment: index, text: clean });
    const who = speaker.trim();
    if (who !== (segment.speaker ?? '')) ops.push({ op: 'set_speaker', segments: [index], speaker: who || null });
    return ops;
  };

  const submit = async (extra: EditOperation[] = [], ownSpeaker = true) => {
    if (busy) return;
    if (text.trim() === '') {
      setHint('A segment cannot be empty. Merge it with the next one instead, or press Esc.');
      return;
    }
    const ops = [...changes().filter((o) => ownSpeaker || o.op !== 'set_speaker'), ...extra];
    if (ops.length === 0) {
      onClose();
      return;
    }
    await onSave(ops, text);
  };

  const split = () => {
    const el = area.current;
    const caret = el?.selectionStart ?? text.length;
    const before = wordsIn(text.slice(0, caret));
    const total = wordsIn(text);
    if (before <= 0 || before >= total) {
      setHint('Put the cursor between two words to split there.');
      return;
    }
    void submit([{ op: 'split', segment: index, word: before }]);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onClose();
    } else if (e.key === 'Enter' && e.altKey) {
      e.preventDefault();
      split();
    } else if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      void submit();
    }
  };
  const listId = `speakers-${index}`;
  // The segment's speaker, renamed in every segment that has it (one operation, one revision).
  const before = segment.speaker ?? '';
  const renameTo = speaker.trim();
  const renamable = before !== '' && renameTo !== '' && renameTo !== before;

  return (
    <div class="segment-editor" data-testid="segment-editor">
      <label class="visually-hidden" for={`segment-edit-${index}`}>
        Text of the segment at {formatClock(segment.start)}
      </label>
      <textarea
        id={`segment-edit-${index}`}
        ref={area}
        class="segment-editor__text"
        value={text}
        rows={Math.max(2, Math.ceil(text.length / 60))}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={onKeyDown}
        aria-describedby={`segment-edit-hint-${index}`}
        data-testid="segment-editor-text"
      />
      <div class="segment-editor__row">
        <label class="segment-editor__speaker">
          Speaker
          <input
            type="text"
            value={speaker}
            list={listId}
            onInput={(e) => setSpeaker(e.currentTarget.value)}
            onKeyDown={onKeyDown}
            data-testid="segment-editor-speaker"
          />
        </label>
        <datalist id={listId}>
          {speakers.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
        {renamable && (
          <button
            type="button"
            class="button button--quiet"
            disabled={busy}
            onClick={() => void submit([{ op: 'rename_speaker', from: before, to: renameTo }], false)}
            data-testid="segment-editor-rename"
          >
            Rename “{before}” everywhere
          </button>
        )}
      </div>
      <div class="segment-editor__row">
        <button
          type="button"
          class="button button--primary"
          disabled={busy}
          onClick={() => void submit()}
          data-testid="segment-editor-save"
        >
          {busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" class="button" onClick={onClose} data-testid="segment-editor-cancel">
          Cancel
        </button>
        <button type="button" class="button button--quiet" disabled={busy} onClick={split}>
          Split at cursor
        </button>
        <button
          type="button"
          class="button button--quiet"
          disabled={busy || isLast}
          onClick={() => void submit([{ op: 'merge', segment: index }])}
        >
          Merge with next
        </button>
      </div>
      <p class="hint" id={`segment-edit-hint-${index}`} aria-live="polite" data-testid="segment-editor-hint">
        {hint ?? 'Enter saves, Esc cancels, Alt+Enter splits at the cursor. The recording keeps playing.'}
      </p>
    </div>
  );
}

function wordsIn(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Character range of the `n`th whitespace-separated word of `text`; the end of the text when there is none. */
function wordRange(text: string, n: number): [number, number] {
  if (n < 0) return [text.length, text.length];
  const re = /\S+/g;
  let m: RegExpExecArray | null = re.exec(text);
  for (let i = 0; m && i < n; i += 1) m = re.exec(text);
  return m ? [m.index, m.index + m[0].length] : [text.length, text.length];
}
