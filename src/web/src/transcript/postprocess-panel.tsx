import { useEffect, useRef } from 'preact/hooks';
import {
  ARTIFACT_KINDS,
  type ArtifactKind,
  type ArtifactStage,
  type ArtifactStatus,
  artifactOutdated,
  type Task,
} from '../api/types';
import { useAnnounce } from '../components/announcer';
import { ProgressBar } from '../components/progress-bar';
import { type ArtifactSlot, isActive, type TaskArtifacts } from '../hooks/use-task-artifacts';

interface Props {
  task: Task;
  /** The kinds this server can make now (capabilities' `postprocessing`). */
  offered: readonly ArtifactKind[];
  artifacts: TaskArtifacts;
  /** The newest transcript revision the page knows: a result made from an older one can be made again. */
  revision: number;
}

const TITLE: Record<ArtifactKind, string> = { summary: 'Summary', polish: 'Clean-up' };
const ACTION: Record<ArtifactKind, string> = { summary: 'Summarise', polish: 'Clean up' };
const REDO: Record<ArtifactKind, string> = { summary: 'Summarise again', polish: 'Clean up again' };
const OFFER: Record<ArtifactKind, string> = {
  summary: 'A few sentences and the key points, written by the language model.',
  polish: 'Casing and punctuation restored, fillers removed; the machine transcript is kept.',
};
const READY: Record<ArtifactKind, string> = {
  summary: 'Summary ready.',
  polish: 'Polished transcript ready: choose Polished above the text.',
};
const STAGE_TEXT: Record<ArtifactStage, string> = {
  waiting: 'Waiting',
  mapping: 'Summarising',
  reducing: 'Combining the parts',
  polishing: 'Cleaning up',
  done: 'Done',
};

/**
 * The task's summary and clean-up (LLM post-processing): their progress, the summary itself, what
 * went wrong, and buttons to ask for either once the transcript is done.
 */
export function PostprocessPanel({ task, offered, artifacts, revision }: Props) {
  useAnnounceEnds(artifacts.artifacts);
  const succeeded = task.status === 'succeeded';
  const shown = ARTIFACT_KINDS.filter((kind) => {
    const slot = artifacts.artifacts[kind];
    if (!succeeded) return task.options[kind] === true;
    return slot ? true : slot === null ? offered.includes(kind) : task.options[kind] === true;
  });
  if (shown.length === 0) return null;
  return (
    <section class="postprocess" aria-labelledby="postprocess-title" data-testid="postprocess-panel">
      <h2 id="postprocess-title" class="visually-hidden">
        Summary and clean-up
      </h2>
      {shown.map((kind) => (
        <ArtifactBlock
          key={kind}
          kind={kind}
          slot={succeeded ? artifacts.artifacts[kind] : undefined}
          taskDone={succeeded}
          canRequest={offered.includes(kind)}
          busy={artifacts.requesting !== null}
          revision={revision}
          onRequest={() => artifacts.request(kind)}
        />
      ))}
      {artifacts.error && (
        <p class="error-text" role="alert" data-testid="postprocess-error">
          {artifacts.error}
        </p>
      )}
    </section>
  );
}

interface BlockProps {
  kind: ArtifactKind;
  slot: ArtifactSlot;
  taskDone: boolean;
  canRequest: boolean;
  busy: boolean;
  revision: number;
  onRequest(): void;
}

function ArtifactBlock({ kind, slot, taskDone, canRequest, busy, revision, onRequest }: BlockProps) {
  const button = (label: string) =>
    canRequest && (
      <button type="button" class="button" disabled={busy} onClick={onRequest} data-testid={`request-${kind}`}>
        {label}
      </button>
    );
  return (
    <div class="postprocess__item" data-testid={`artifact-${kind}`} data-status={slot?.status ?? ''}>
      <h3 class="postprocess__title">{TITLE[kind]}</h3>
      {!taskDone ? (
        <p class="hint">Made once the transcript is finished.</p>
      ) : slot === undefined ? (
        <p class="hint" aria-busy="true">
          Checking…
        </p>
      ) : slot === null ? (
        <div class="postprocess__offer">
          <p class="hint">{OFFER[kind]}</p>
          {button(ACTION[kind])}
        </div>
      ) : isActive(slot) ? (
        <ArtifactProgress kind={kind} slot={slot} />
      ) : slot.status === 'failed' ? (
        <div class="postprocess__offer">
          <p class="error-text" data-testid={`artifact-${kind}-error`}>
            Failed: {slot.error?.message ?? 'the language model gave no usable answer.'}
          </p>
          {button('Try again')}
        </div>
      ) : kind === 'polish' ? (
        <p class="hint" data-testid="artifact-polish-ready">
          {READY.polish}
        </p>
      ) : slot.result === null ? (
        <p class="hint" aria-busy="true">
          Loading the summary…
        </p>
      ) : (
        <div class="postprocess__summary" data-testid="summary-result">
          <p data-testid="summary-text">{slot.result.summary}</p>
          {slot.result.key_points.length > 0 && (
            <ul aria-label="Key points" data-testid="summary-points">
              {slot.result.key_points.map((point, i) => (
                // Points may repeat; in a list that never reorders, the place is the identity.
                <li key={i}>{point}</li>
              ))}
            </ul>
          )}
          <p class="hint">Written by {slot.result.model}.</p>
        </div>
      )}
      {taskDone && slot && artifactOutdated(slot, revision) && (
        // Made before the latest edits: offer to make it again from them (the server re-queues it).
        <div class="postprocess__offer" data-testid={`artifact-${kind}-outdated`}>
          <p class="hint">Made before the latest edits to the transcript.</p>
          {button(REDO[kind])}
        </div>
      )}
    </div>
  );
}

function ArtifactProgress({ kind, slot }: { kind: ArtifactKind; slot: NonNullable<ArtifactSlot> }) {
  const { done_windows: done, total_windows: total } = slot.progress;
  const running = slot.status === 'running' && total > 0;
  return (
    <div class="postprocess__progress" data-testid={`artifact-${kind}-progress`}>
      <ProgressBar
        value={running ? (done / total) * 100 : null}
        label={`Progress of the ${TITLE[kind].toLowerCase()}`}
      />
      <p class="hint">
        {slot.status === 'queued'
          ? slot.attempts > 0
            ? 'Waiting to try again'
            : 'Waiting for the language model'
          : STAGE_TEXT[slot.stage]}
        {running && `: window ${Math.min(done + 1, total)} of ${total}`}
      </p>
    </div>
  );
}

/** Says once when a summary or polish the page watched finishes or fails (not on every window). */
function useAnnounceEnds(artifacts: Record<ArtifactKind, ArtifactSlot>): void {
  const announce = useAnnounce();
  const before = useRef<Partial<Record<ArtifactKind, ArtifactStatus>>>({});
  useEffect(() => {
    for (const kind of ARTIFACT_KINDS) {
      const slot = artifacts[kind];
      const was = before.current[kind];
      if (slot && (was === 'queued' || was === 'running')) {
        if (slot.status === 'succeeded') announce(READY[kind]);
        else if (slot.status === 'failed') announce(`${TITLE[kind]} failed: ${slot.error?.message ?? ''}`);
      }
      if (slot) before.current[kind] = slot.status;
    }
  }, [artifacts, announce]);
}
