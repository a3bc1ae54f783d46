import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import { ApiError, describeError } from '../api/errors';
import type { SegmentEvent } from '../api/event-stream';
import type { Task, Transcript, TranscriptRevisionRead } from '../api/types';
import { joinText, mergeSegments } from '../lib/segments';
import type { StreamFollower } from './use-task-events';

export interface TaskTranscript {
  task: Task | null;
  transcript: Transcript | null;
  error: string | null;
  deleted: boolean;
  /** The finished transcript's ETag (`"r3"`), sent as If-Match with edits; null while unfinished. */
  etag: string | null;
  /** The revision shown: 0 is the machine transcript, each saved edit or revert adds one. */
  revision: number;
  setTask(task: Task): void;
  /** Shows a revision the server just returned (after an edit or a revert). */
  applyRevision(read: TranscriptRevisionRead): void;
  /** Reads the task and its newest transcript again. */
  reload(): void;
  /** What this hook needs from the task's event stream (see useTaskEvents). */
  stream: StreamFollower;
}

/**
 * One task and its transcript, kept current by the task's own event stream while it is unfinished:
 * the finished prefix comes from `?partial=true`, later chunks from `segment` events, and the full
 * transcript is read once the task succeeds.
 */
export function useTaskTranscript(api: Api, id: string): TaskTranscript {
  const [task, setTask] = useState<Task | null>(null);
  const [transcript, setTranscript] = useState<Transcript | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [deleted, setDeleted] = useState(false);
  const [version, setVersion] = useState(0);
  const [tag, setTag] = useState<{ etag: string | null; revision: number }>(NO_TAG);

  useEffect(() => {
    let stale = false;
    void (async () => {
      try {
        const t = await api.getTask(id);
        if (stale) return;
        setTask(t);
        setError(null);
        const read = await loadTranscript(api, t);
        if (stale || !read) return;
        const text = read.transcript;
        setTag({ etag: read.etag, revision: read.revision });
        // Segment events may have arrived while the partial read was in flight; keep both.
        setTranscript((prev) => (prev && t.status !== 'succeeded' ? withSegments(text, prev) : text));
      } catch (err) {
        if (!stale) setError(describeError(err));
      }
    })();
    return () => {
      stale = true;
    };
  }, [api, id, version]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);

  const applyTask = (next: Task) => {
    if (next.id !== id) return;
    const finishedNow = next.status === 'succeeded' && task?.status !== 'succeeded';
    setTask(next);
    if (finishedNow) reload();
  };

  const onSegment = (event: SegmentEvent) => {
    if (event.task_id !== id) return;
    setTranscript((prev) => {
      const segments = mergeSegments(prev?.segments ?? [], event.segments);
      return {
        language: prev?.language ?? task?.options.language ?? '',
        duration: prev?.duration ?? task?.progress?.total_seconds ?? 0,
        segments,
        text: joinText(segments),
        partial: true,
      };
    });
  };

  const live = task !== null && task.status !== 'succeeded' && !deleted;
  const stream: StreamFollower = {
    live,
    handlers: {
      onSnapshot: (tasks) => {
        const mine = tasks.find((t) => t.id === id);
        if (mine) applyTask(mine);
      },
      onTask: applyTask,
      onSegment,
      onGone: (taskId, kind) => {
        if (taskId === id && kind === 'deleted') setDeleted(true);
        else if (taskId === id) reload();
      },
      // A stream kept open only for a summary or polish has nothing new for a finished transcript.
      onResync: () => {
        if (live) reload();
      },
    },
  };

  const applyRevision = useCallback((read: TranscriptRevisionRead) => {
    setTranscript(read.transcript);
    setTag({ etag: read.etag, revision: read.revision });
  }, []);

  return {
    task,
    transcript,
    error,
    deleted,
    etag: tag.etag,
    revision: tag.revision,
    setTask: applyTask,
    applyRevision,
    reload,
    stream,
  };
}

function withSegments(base: Transcript, extra: Transcript): Transcript {
  const segments = mergeSegments(base.segments, extra.segments);
  return { ...base, segments, text: joinText(segments) };
}

const NO_TAG = { etag: null, revision: 0 };

async function loadTranscript(api: Api, task: Task): Promise<TranscriptRevisionRead | null> {
  const partial = task.status !== 'succeeded';
  try {
    if (!partial) return await api.transcriptRevision(task.id);
    return { transcript: await api.transcript(task.id, true), ...NO_TAG };
  } catch (err) {
    // Before the first chunk (or after a failure with nothing kept) there is simply no text yet.
    if (partial && err instanceof ApiError && (err.status === 409 || err.status === 404)) return null;
    throw err;
  }
}
