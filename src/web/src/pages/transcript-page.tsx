import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import type { EditOperation, Segment, TranscriptVariant } from '../api/types';
import { useCapabilities } from '../hooks/use-capabilities';
import { useCaptions } from '../hooks/use-captions';
import { useLinkTarget } from '../hooks/use-link-target';
import { useMediaSource } from '../hooks/use-media-source';
import { usePlayback } from '../hooks/use-playback';
import { usePolishedTranscript } from '../hooks/use-polished-transcript';
import { type ShortcutAction, useShortcuts } from '../hooks/use-shortcuts';
import { useTaskArtifacts } from '../hooks/use-task-artifacts';
import { useTaskEvents } from '../hooks/use-task-events';
import { useTaskTranscript } from '../hooks/use-task-transcript';
import { useEditedSegments, useRevisions, useTranscriptEdits } from '../hooks/use-transcript-edits';
import { withSourceName } from '../lib/format';
import {
  activeSegmentIndex,
  activeWordIndex,
  copyableText,
  matchingSegments,
  nextSegment,
  previousSegment,
  segmentAt,
  speakersOf,
} from '../lib/segments';
import { TaskActions } from '../tasks/task-actions';
import { TaskFacts } from '../tasks/task-facts';
import { TaskProgress } from '../tasks/task-progress';
import { STATUS_TEXT } from '../tasks/task-row';
import { ConflictNotice, EditBar } from '../transcript/edit-status';
import { HistoryPanel } from '../transcript/history-panel';
import { isVideoName, MediaPlayer } from '../transcript/media-player';
import { PostprocessPanel } from '../transcript/postprocess-panel';
import { SegmentEditor } from '../transcript/segment-editor';
import { type ScrollTarget, SegmentList } from '../transcript/segment-list';
import { ShortcutHelp } from '../transcript/shortcut-help';
import { Timeline } from '../transcript/timeline';
import { TranscriptSearch } from '../transcript/transcript-search';
import { TranscriptToolbar } from '../transcript/transcript-toolbar';
import { VariantSwitch } from '../transcript/variant-switch';

interface Props {
  api: Api;
  id: string;
  /** From a link (`?t=`): open at this moment, its segment marked. */
  at?: number | undefined;
  /** From a link (`?hl=`): words to mark in that segment. */
  highlight?: string | undefined;
}

/**
 * One task: the recording, the transcript following playback, search, overview and downloads, and its
 * summary and clean-up (the polished transcript can be shown instead of the machine one). A finished
 * machine transcript can be corrected in place while the recording plays, and every saved revision
 * can be restored.
 */
export function TranscriptPage({ api, id, at, highlight }: Props) {
  const loaded = useTaskTranscript(api, id);
  const { task, transcript: machine, error, deleted, setTask, stream } = loaded;
  const artifacts = useTaskArtifacts(api, task);
  useTaskEvents(api, id, [stream, artifacts.stream]);
  const caps = useCapabilities(api);
  const [chosen, setVariant] = useState<TranscriptVariant>('machine');
  // Polished only once the polish succeeded; the machine transcript stays the default.
  const polishReady = artifacts.artifacts.polish?.status === 'succeeded';
  const variant: TranscriptVariant = polishReady ? chosen : 'machine';
  const polished = usePolishedTranscript(api, id, variant === 'polished');
  const transcript = variant === 'polished' ? polished.transcript : machine;
  const source = useMediaSource(api, id);
  const [media, setMedia] = useState<HTMLMediaElement | null>(null);
  const playback = usePlayback(media);
  const [query, setQuery] = useState('');
  const [matchPos, setMatchPos] = useState(-1);
  const [editMode, setEditMode] = useState(false);
  const [editing, setEditing] = useState<{ index: number; word: number } | null>(null);
  const [historyOpen, setHistoryOpen] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  const [scrollTarget, setScrollTarget] = useState<ScrollTarget | null>(null);
  const edits = useTranscriptEdits(api, id, loaded.etag, loaded.transcript, loaded.applyRevision);
  const history = useRevisions(api, id, historyOpen, loaded.revision);
  const captionsUrl = useCaptions(api, id, task?.status === 'succeeded' && isVideoName(task.source_name));
  const title = task?.title ?? task?.source_name;
  useEffect(() => {
    document.title = title ? `${title} – Earshot` : 'Earshot';
    return () => {
      document.title = 'Earshot';
    };
  }, [title]);

  const segments: readonly Segment[] = transcript?.segments ?? [];
  const canEdit = task?.status === 'succeeded' && variant === 'machine' && machine !== null;
  const editedSegments = useEditedSegments(api, id, variant === 'machine' ? loaded.revision : 0, segments);
  const speakers = useMemo(() => speakersOf(segments), [segments]);
  const activeIndex = activeSegmentIndex(segments, playback.time);
  const activeWord = activeWordIndex(segments[activeIndex], playback.time);
  const matchList = useMemo(() => matchingSegments(segments, query), [segments, query]);
  const matches = useMemo(() => new Set(matchList), [matchList]);
  const seek = useCallback((seconds: number, play = true) => playback.seek(seconds, play), [playback.seek]);
  const scrollTo = useCallback((index: number) => setScrollTarget((t) => ({ index, seq: (t?.seq ?? 0) + 1 })), []);
  // An editor with unsaved changes is not replaced by a click elsewhere: it asks to be saved or cancelled.
  const unsaved = useRef(false);
  const [nudge, setNudge] = useState(0);
  const startEdit = useCallback((index: number, word: number) => {
    if (unsaved.current) setNudge((n) => n + 1);
    else setEditing({ index, word });
  }, []);
  const markUnsaved = useCallback((changed: boolean) => {
    unsaved.current = changed;
  }, []);
  const { linkedIndex, linkedTerms } = useLinkTarget(media, source.src, segments, at, highlight, scrollTo);

  // Closing the editor puts focus back on the segment's Edit button, not on the page's start.
  const lastEdited = useRef(-1);
  useEffect(() => {
    if (editing) {
      lastEdited.current = editing.index;
      return;
    }
    if (lastEdited.current < 0) return;
    const button = document.querySelector<HTMLElement>(`#segment-${lastEdited.current} [data-testid="segment-edit"]`);
    lastEdited.current = -1;
    if (button && document.activeElement === document.body) button.focus({ preventScroll: true });
  }, [editing]);

  const onShortcut = (action: ShortcutAction) => {
    const current = activeIndex >= 0 ? activeIndex : segmentAt(segments, playback.time);
    switch (action) {
      case 'toggle':
        playback.toggle();
        return;
      case 'back':
        playback.skip(-SKIP_SECONDS);
        return;
      case 'forward':
        playback.skip(SKIP_SECONDS);
        return;
      case 'next':
      case 'previous': {
        const to = action === 'next' ? nextSegment(segments, playback.time) : previousSegment(segments, playback.time);
        const target = segments[to];
        if (!target) return;
        seek(target.start, false);
        scrollTo(to);
        return;
      }
      case 'edit':
        if (!canEdit || current < 0) return;
        setEditMode(true);
        startEdit(current, -1);
        return;
      case 'search':
        document.getElementById('transcript-search-input')?.focus();
        return;
      case 'help':
        setHelpOpen(true);
        return;
    }
  };
  useShortcuts(onShortcut);

  const { save: saveEdits, busy: saving } = edits;
  const editor = useMemo(() => {
    const segment = canEdit && editing ? segments[editing.index] : undefined;
    if (!editing || !segment) return null;
    // Closes the editor that saved, not one opened on another segment while the request was out.
    const save = (ops: EditOperation[], unsaved: string) =>
      saveEdits(ops, unsaved, () => setEditing((now) => (now === editing ? null : now)));
    return (
      <SegmentEditor
        segment={segment}
        index={editing.index}
        word={editing.word}
        isLast={editing.index === segments.length - 1}
        speakers={speakers}
        busy={saving}
        nudge={nudge}
        onChanged={markUnsaved}
        onSave={save}
        onClose={() => setEditing(null)}
      />
    );
    // Built once per change of these (not per playback tick), so the memoised list stays untouched.
  }, [canEdit, editing, segments, speakers, saving, saveEdits, nudge, markUnsaved]);
  const reloadAfterConflict = () => {
    setEditing(null);
    edits.reloaded();
    loaded.reload();
  };

  const changeQuery = (next: string) => {
    setQuery(next);
    setMatchPos(-1);
  };
  const step = (delta: 1 | -1) => {
    if (matchList.length === 0) return;
    setMatchPos((pos) =>
      pos < 0 ? (delta === 1 ? 0 : matchList.length - 1) : (pos + delta + matchList.length) % matchList.length,
    );
  };

  if (deleted) return <Notice text="This task was deleted." />;
  if (error && !task) return <Notice text={error} />;
  if (!task) return <p aria-busy="true">Loading…</p>;

  const running = task.status === 'queued' || task.status === 'processing';
  const duration = firstPositive(
    playback.duration,
    transcript?.duration,
    task.progress?.total_seconds,
    segments.at(-1)?.end,
  );
  return (
    <article class="transcript-page" aria-labelledby="task-title">
      <a href="#/" class="back-link" data-testid="back-link">
        ← All tasks
      </a>
      <header class="transcript-page__head">
        <h1 id="task-title">{task.title ?? task.source_name}</h1>
        {task.title && (
          <span class="transcript-page__file" data-testid="task-file-name">
            {task.source_name}
          </span>
        )}
        <span class={`badge badge--${task.status}`} data-testid="task-status">
          {STATUS_TEXT[task.status]}
        </span>
        <TaskActions api={api} task={task} onChanged={(t) => (t ? setTask(t) : goHome())} />
        <p class="task__meta transcript-page__facts">
          <TaskFacts task={task} />
        </p>
      </header>
      {running && <TaskProgress task={task} />}
      <PostprocessPanel
        task={task}
        offered={caps?.postprocessing ?? []}
        artifacts={artifacts}
        revision={loaded.revision}
      />
      {task.error && (
        <p class={task.status === 'failed' ? 'error-text' : 'hint'} data-testid="task-error">
          {task.status === 'failed' ? 'Failed: ' : 'Last attempt failed: '}
          {withSourceName(task.error.message, task.source_name)}
        </p>
      )}
      <div class="transcript-layout">
        <div class="transcript-layout__side">
          <div class="media-box">
            <MediaPlayer
              sourceName={task.source_name}
              source={source}
              captionsUrl={captionsUrl}
              language={task.options.language}
              onElement={setMedia}
            />
            <Timeline
              segments={segments}
              duration={duration}
              time={playback.time}
              doneSeconds={running ? (task.progress?.done_seconds ?? 0) : null}
              matches={matches}
              onSeek={seek}
            />
          </div>
          <TranscriptToolbar
            api={api}
            taskId={task.id}
            sourceName={task.source_name}
            status={task.status}
            variant={variant}
            text={transcript ? copyableText(segments, transcript.text) : ''}
          >
            <EditBar
              revision={variant === 'machine' ? loaded.revision : 0}
              historyOpen={historyOpen}
              canEdit={canEdit}
              onHistory={() => setHistoryOpen((o) => !o)}
              onHelp={() => setHelpOpen(true)}
            />
          </TranscriptToolbar>
          {historyOpen && canEdit && (
            <div id="history-panel">
              <HistoryPanel
                list={history.list}
                error={history.error}
                busy={edits.busy}
                onRevert={(revision) => {
                  setEditing(null);
                  void edits.revert(revision);
                }}
                onClose={() => setHistoryOpen(false)}
              />
            </div>
          )}
        </div>
        <section class="transcript-layout__text" aria-label="Transcript text">
          {polishReady && <VariantSwitch value={variant} onChange={setVariant} />}
          <TranscriptSearch
            query={query}
            onQuery={changeQuery}
            matchCount={matchList.length}
            current={matchPos}
            onStep={step}
          />
          {canEdit && segments.length > 0 && (
            <div class="edit-mode">
              <button
                type="button"
                class={editMode ? 'button button--primary' : 'button'}
                aria-pressed={editMode}
                onClick={() => {
                  setEditMode((on) => !on);
                  setEditing(null);
                }}
                data-testid="edit-mode"
              >
                Edit text
              </button>
              {editMode && (
                <p class="hint" data-testid="edit-mode-hint">
                  Click a word to correct it; the recording keeps playing.
                </p>
              )}
            </div>
          )}
          {edits.conflict && (
            <ConflictNotice conflict={edits.conflict} onReload={reloadAfterConflict} onDismiss={edits.dismiss} />
          )}
          {edits.error && (
            <p class="error-text" role="alert" data-testid="edit-error">
              {edits.error}
            </p>
          )}
          {transcript?.partial && running && (
            <p class="hint" data-testid="partial-notice">
              Transcribing… text appears here as each part is finished.
            </p>
          )}
          {variant === 'polished' && polished.transcript === null ? (
            polished.error ? (
              <p class="error-text" role="alert">
                {polished.error}
              </p>
            ) : (
              <p class="hint" aria-busy="true" data-testid="polished-loading">
                Loading the polished transcript…
              </p>
            )
          ) : segments.length === 0 ? (
            <p class="empty" data-testid="transcript-empty">
              {running
                ? 'No text yet: the first part is still being transcribed.'
                : task.status === 'succeeded'
                  ? 'No speech was found in this recording.'
                  : task.status === 'cancelled'
                    ? 'This task was cancelled before any text was ready.'
                    : 'This task failed before any text was ready.'}
            </p>
          ) : (
            <SegmentList
              segments={segments}
              activeIndex={activeIndex}
              activeWord={activeWord}
              follow={!playback.paused && editing === null}
              query={query}
              matches={matches}
              currentMatch={matchPos >= 0 ? (matchList[matchPos] ?? -1) : -1}
              linkedIndex={linkedIndex}
              linkedTerms={linkedTerms}
              edited={editedSegments}
              editMode={canEdit && editMode}
              editingIndex={canEdit && editing ? editing.index : -1}
              editor={editor}
              scrollTarget={scrollTarget}
              onSeek={seek}
              onEdit={startEdit}
            />
          )}
        </section>
      </div>
      <ShortcutHelp open={helpOpen} onClose={() => setHelpOpen(false)} />
    </article>
  );
}

const SKIP_SECONDS = 5;

function goHome(): void {
  location.hash = '#/';
}

/** The media element's duration once known, else the transcript's, the task's, the last segment's end. */
function firstPositive(...values: (number | null | undefined)[]): number {
  return values.find((v): v is number => typeof v === 'number' && v > 0) ?? 0;
}

function Notice({ text }: { text: string }) {
  return (
    <section class="card">
      <p role="alert">{text}</p>
      <a href="#/">Back to all tasks</a>
    </section>
  );
}
