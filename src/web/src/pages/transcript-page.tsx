import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import type { TranscriptVariant } from '../api/types';
import { useCapabilities } from '../hooks/use-capabilities';
import { useCaptions } from '../hooks/use-captions';
import { useMediaSource } from '../hooks/use-media-source';
import { usePlayback } from '../hooks/use-playback';
import { usePolishedTranscript } from '../hooks/use-polished-transcript';
import { useTaskArtifacts } from '../hooks/use-task-artifacts';
import { useTaskEvents } from '../hooks/use-task-events';
import { useTaskTranscript } from '../hooks/use-task-transcript';
import { withSourceName } from '../lib/format';
import { activeSegmentIndex, activeWordIndex, matchingSegments } from '../lib/segments';
import { TaskActions } from '../tasks/task-actions';
import { TaskFacts } from '../tasks/task-facts';
import { TaskProgress } from '../tasks/task-progress';
import { STATUS_TEXT } from '../tasks/task-row';
import { isVideoName, MediaPlayer } from '../transcript/media-player';
import { PostprocessPanel } from '../transcript/postprocess-panel';
import { SegmentList } from '../transcript/segment-list';
import { Timeline } from '../transcript/timeline';
import { TranscriptSearch } from '../transcript/transcript-search';
import { TranscriptToolbar } from '../transcript/transcript-toolbar';
import { VariantSwitch } from '../transcript/variant-switch';

interface Props {
  api: Api;
  id: string;
}

/**
 * One task: the recording, the transcript following playback, search, overview and downloads, and its
 * summary and clean-up (the polished transcript can be shown instead of the machine one).
 */
export function TranscriptPage({ api, id }: Props) {
  const { task, transcript: machine, error, deleted, setTask, stream } = useTaskTranscript(api, id);
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
  const captionsUrl = useCaptions(api, id, task?.status === 'succeeded' && isVideoName(task.source_name));
  const title = task?.source_name;
  useEffect(() => {
    document.title = title ? `${title} – Earshot` : 'Earshot';
    return () => {
      document.title = 'Earshot';
    };
  }, [title]);

  const segments = transcript?.segments ?? [];
  const activeIndex = activeSegmentIndex(segments, playback.time);
  const activeWord = activeWordIndex(segments[activeIndex], playback.time);
  const matchList = useMemo(() => matchingSegments(segments, query), [segments, query]);
  const matches = useMemo(() => new Set(matchList), [matchList]);
  const seek = useCallback((seconds: number, play = true) => playback.seek(seconds, play), [playback.seek]);

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
        <h1 id="task-title">{task.source_name}</h1>
        <span class={`badge badge--${task.status}`} data-testid="task-status">
          {STATUS_TEXT[task.status]}
        </span>
        <TaskActions api={api} task={task} onChanged={(t) => (t ? setTask(t) : goHome())} />
        <p class="task__meta transcript-page__facts">
          <TaskFacts task={task} />
        </p>
      </header>
      {running && <TaskProgress task={task} />}
      <PostprocessPanel task={task} offered={caps?.postprocessing ?? []} artifacts={artifacts} />
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
            text={transcript?.text ?? ''}
          />
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
              follow={!playback.paused}
              query={query}
              matches={matches}
              currentMatch={matchPos >= 0 ? (matchList[matchPos] ?? -1) : -1}
              onSeek={seek}
            />
          )}
        </section>
      </div>
    </article>
  );
}

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
