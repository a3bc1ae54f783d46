import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import { ApiError, describeError } from '../api/errors';
import type { ArtifactEvent } from '../api/event-stream';
import { ARTIFACT_KINDS, type ArtifactKind, type ArtifactState, type Task } from '../api/types';
import type { StreamFollower } from './use-task-events';

/** undefined: not read yet; null: none was requested (404). */
export type ArtifactSlot = ArtifactState | null | undefined;

export interface TaskArtifacts {
  artifacts: Record<ArtifactKind, ArtifactSlot>;
  /** The kind whose request is on its way. */
  requesting: ArtifactKind | null;
  /** The last request's or read's failure, in words. */
  error: string | null;
  /** Asks for `kind` (again, when it failed). */
  request(kind: ArtifactKind): Promise<void>;
  stream: StreamFollower;
}

const UNREAD: Record<ArtifactKind, ArtifactSlot> = { summary: undefined, polish: undefined };

export function isActive(slot: ArtifactSlot): boolean {
  return slot?.status === 'queued' || slot?.status === 'running';
}

/**
 * A succeeded task's summary and polish: read once the task succeeded, then kept current by the
 * task's `artifact` events, for which the event stream stays open while one is queued or running
 * (or asked for at upload and not read yet, so the stream does not close between the task's end and
 * that read). A stream (re)opened starts at its snapshot, so both are read again then.
 *
 * Reads and events can cross: a read answered after a newer event would show an older state. So each
 * event makes the reads in flight for its kind stale, and a summary's final event reads its result.
 */
export function useTaskArtifacts(api: Api, task: Task | null): TaskArtifacts {
  const [artifacts, setArtifacts] = useState(UNREAD);
  const [requesting, setRequesting] = useState<ArtifactKind | null>(null);
  const [error, setError] = useState<string | null>(null);
  const generation = useRef<Record<ArtifactKind, number>>({ summary: 0, polish: 0 });
  const taskId = task?.id ?? null;
  const succeeded = task?.status === 'succeeded';

  const put = useCallback((kind: ArtifactKind, slot: ArtifactSlot) => {
    generation.current[kind] += 1;
    setArtifacts((prev) => ({ ...prev, [kind]: slot }));
  }, []);

  const read = useCallback(
    (kind: ArtifactKind) => {
      if (taskId === null) return;
      const asked = ++generation.current[kind];
      api.artifact(taskId, kind).then(
        (state) => {
          if (generation.current[kind] === asked) put(kind, state);
        },
        (err: unknown) => {
          if (generation.current[kind] !== asked) return;
          if (err instanceof ApiError && err.status === 404) put(kind, null);
          else setError(describeError(err));
        },
      );
    },
    [api, taskId, put],
  );

  const readAll = useCallback(() => {
    for (const kind of ARTIFACT_KINDS) read(kind);
  }, [read]);

  useEffect(() => {
    if (succeeded) readAll();
  }, [succeeded, readAll]);

  const request = async (kind: ArtifactKind) => {
    if (taskId === null) return;
    setRequesting(kind);
    setError(null);
    try {
      const state = await api.requestArtifact(taskId, kind);
      put(kind, state);
      // One made already (asked for twice, from two tabs) comes back without its result.
      if (kind === 'summary' && state.status === 'succeeded') read(kind);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setRequesting(null);
    }
  };

  const onArtifact = (event: ArtifactEvent) => {
    if (event.task_id !== taskId) return;
    const before = artifacts[event.kind];
    put(event.kind, {
      kind: event.kind,
      status: event.status,
      stage: event.stage,
      progress: event.progress,
      attempts: event.attempts,
      error: event.error,
      revision: event.revision,
      result: event.status === 'succeeded' ? (before?.result ?? null) : null,
    });
    if (event.kind === 'summary' && event.status === 'succeeded') read('summary');
  };

  const live =
    succeeded &&
    ARTIFACT_KINDS.some((kind) => {
      const slot = artifacts[kind];
      return slot === undefined ? task?.options[kind] === true : isActive(slot);
    });

  return {
    artifacts,
    requesting,
    error,
    request,
    stream: { live, handlers: { onArtifact, onResync: () => (succeeded ? readAll() : undefined) } },
  };
}
