import { useEffect, useRef, useState } from 'preact/hooks';
import { formatSessionTime } from '../../../live/client/live-transcript';
import type { Api } from '../api/client';
import { useAnnounce } from '../components/announcer';
import { useCapabilities } from '../hooks/use-capabilities';
import { type LivePhase, useLiveSession } from '../hooks/use-live-session';
import { taskHref } from '../lib/route';
import { LevelMeter } from '../live/level-meter';

const PHASE_TEXT: Record<LivePhase, string> = {
  idle: 'Ready',
  starting: 'Starting…',
  live: 'Listening',
  finishing: 'Finishing…',
  done: 'Finished',
  failed: 'Stopped',
};

/**
 * Live transcription from the microphone: Start opens the microphone and a `/v1/realtime` session,
 * words appear as they are recognised, Stop finishes the session (and links the saved task).
 */
export function LivePage({ api }: { api: Api }) {
  const caps = useCapabilities(api);
  const { state, start, stop } = useLiveSession(api.token, caps?.default_language ?? 'en');
  const [save, setSave] = useState(true);
  const announce = useAnnounce();
  const running = state.phase === 'starting' || state.phase === 'live' || state.phase === 'finishing';
  const linesEnd = useRef<HTMLLIElement>(null);

  useEffect(() => {
    if (state.phase === 'live') announce('Listening. Speak now.');
    else if (state.phase === 'done') announce(state.taskId ? 'Finished. The transcript is saved.' : 'Finished.');
  }, [state.phase, state.taskId, announce]);
  // Keep the newest words in view as they arrive, as a caption display would.
  useEffect(() => {
    linesEnd.current?.scrollIntoView?.({ block: 'nearest' });
  }, [state.finals.length, state.partial]);

  return (
    <section class="card live" aria-labelledby="live-title" data-testid="live-page">
      <h1 id="live-title">Live transcription</h1>
      <p class="hint">Speak into your microphone; the transcript appears as you talk.</p>
      <div class="live__controls">
        {running ? (
          <button
            type="button"
            class="button button--danger live__toggle"
            onClick={stop}
            disabled={state.phase === 'finishing'}
            data-testid="live-stop"
          >
            {state.phase === 'finishing' ? 'Finishing…' : 'Stop'}
          </button>
        ) : (
          <button
            type="button"
            class="button button--primary live__toggle"
            onClick={() => start({ save })}
            data-testid="live-start"
          >
            Start
          </button>
        )}
        <label class="check live__save">
          <input
            type="checkbox"
            checked={save}
            disabled={running}
            onChange={(e) => setSave(e.currentTarget.checked)}
            data-testid="live-save"
          />
          Save as a task
        </label>
        <div class="live__status">
          <LevelMeter level={state.level} active={state.phase === 'live' || state.phase === 'starting'} />
          <span class="live__phase" data-testid="live-phase" data-phase={state.phase}>
            {PHASE_TEXT[state.phase]}
          </span>
        </div>
      </div>
      {state.error && (
        <p class="error-text live__message" role="alert" data-testid="live-error">
          {state.error}
        </p>
      )}
      {state.notice && state.phase !== 'failed' && (
        <p class="hint live__message" data-testid="live-notice">
          The server refused a message: {state.notice}
        </p>
      )}
      {state.slow && running && (
        <p class="hint live__message" role="status">
          The connection is not keeping up; words may come late.
        </p>
      )}
      {state.phase === 'done' && state.taskId && (
        <p class="live__saved" data-testid="live-saved">
          Saved as a task.{' '}
          <a href={taskHref(state.taskId)} data-testid="live-task-link">
            Open the transcript
          </a>
        </p>
      )}
      <ol class="live-lines" aria-live="polite" aria-relevant="additions" data-testid="live-lines">
        {state.finals.map((turn) => (
          <li key={turn.itemId} class="live-line" data-testid="live-line">
            <span class="live-line__time numeric">
              {formatSessionTime(turn.start)} → {formatSessionTime(turn.end)}
            </span>
            <span class="live-line__text">{turn.text}</span>
          </li>
        ))}
        {state.partial ? (
          <li class="live-line live-line--partial" aria-hidden="true" data-testid="live-partial" ref={linesEnd}>
            <span class="live-line__time numeric">…</span>
            <span class="live-line__text">{state.partial}</span>
          </li>
        ) : (
          <li class="live-line__end" aria-hidden="true" ref={linesEnd} />
        )}
      </ol>
      {state.finals.length === 0 && !state.partial && state.phase !== 'failed' && (
        <p class="hint" data-testid="live-empty">
          {state.phase === 'live' ? 'Listening… words appear here.' : 'Press Start and allow the microphone.'}
        </p>
      )}
    </section>
  );
}
