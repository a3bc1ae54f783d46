import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import { ApiError, describeError } from '../api/errors';
import type { EditOperation, RevisionList, Segment, Transcript, TranscriptRevisionRead } from '../api/types';
import { useAnnounce } from '../components/announcer';

export interface EditConflict {
  /** The text the user was saving, kept so it can be copied (also after reloading). */
  unsaved: string | null;
  /** The newest revision has been read since. */
  reloaded: boolean;
}

export interface TranscriptEdits {
  busy: boolean;
  /** Set after a 412: someone saved a newer revision first; nothing of this save was kept. */
  conflict: EditConflict | null;
  error: string | null;
  /**
   * Sends edits against the revision shown; true when saved. `onSaved` runs as the new revision is
   * applied (in the same render), so an editor closes as its text is replaced, never after.
   */
  save(operations: EditOperation[], unsaved: string | null, onSaved?: () => void): Promise<boolean>;
  revert(revision: number): Promise<boolean>;
  /** The newest revision was read again after a conflict (the unsaved text stays on show). */
  reloaded(): void;
  dismiss(): void;
}

/**
 * Saving edits and reverts with optimistic concurrency: every write carries the shown revision's ETag
 * as If-Match, so a save based on an outdated revision is refused (412) instead of silently
 * overwriting someone else's; the page then says so and keeps the user's text.
 */
export function useTranscriptEdits(
  api: Api,
  id: string,
  etag: string | null,
  shown: Transcript | null,
  applyRevision: (read: TranscriptRevisionRead) => void,
): TranscriptEdits {
  const announce = useAnnounce();
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState<EditConflict | null>(null);
  const [error, setError] = useState<string | null>(null);

  const write = useCallback(
    async (
      send: () => Promise<TranscriptRevisionRead>,
      done: (revision: number) => string,
      unsaved: string | null,
      onSaved?: () => void,
    ) => {
      setBusy(true);
      setError(null);
      try {
        const read = await send();
        applyRevision(read);
        onSaved?.();
        setConflict(null);
        announce(done(read.revision));
        return true;
      } catch (err) {
        if (err instanceof ApiError && err.status === 412) setConflict({ unsaved, reloaded: false });
        else setError(describeError(err));
        return false;
      } finally {
        setBusy(false);
      }
    },
    [applyRevision, announce],
  );

  const save = useCallback(
    (operations: EditOperation[], unsaved: string | null, onSaved?: () => void) =>
      write(
        () => api.editTranscript(id, operations, etag, shown),
        (n) => `Saved as revision ${n}.`,
        unsaved,
        onSaved,
      ),
    [write, api, id, etag, shown],
  );
  const revert = useCallback(
    (revision: number) =>
      write(
        () => api.revertTranscript(id, revision, etag),
        (n) => `Reverted to revision ${revision} (now revision ${n}).`,
        null,
      ),
    [write, api, id, etag],
  );
  const reloaded = useCallback(() => setConflict((c) => (c ? { ...c, reloaded: true } : c)), []);
  const dismiss = useCallback(() => {
    setConflict(null);
    setError(null);
  }, []);

  return { busy, conflict, error, save, revert, reloaded, dismiss };
}

/** The revision list, read while the History panel is open and again whenever the revision changes. */
export function useRevisions(
  api: Api,
  id: string,
  open: boolean,
  revision: number,
): { list: RevisionList | null; error: string | null } {
  const [list, setList] = useState<RevisionList | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!open) return undefined;
    let stale = false;
    api.revisions(id).then(
      (l) => {
        if (stale) return;
        setList(l);
        setError(null);
      },
      (err: unknown) => {
        if (!stale) setError(describeError(err));
      },
    );
    return () => {
      stale = true;
    };
  }, [api, id, open, revision]);
  return { list, error };
}

/**
 * Which segments differ from the machine transcript (revision 0), by start time and text: read once
 * the transcript has been edited, so an unedited one costs no request.
 */
export function useEditedSegments(api: Api, id: string, revision: number, segments: readonly Segment[]): Set<number> {
  const [machine, setMachine] = useState<Set<string> | null>(null);
  const edited = revision > 0;
  useEffect(() => {
    if (!edited || machine) return undefined;
    let stale = false;
    api.transcriptRevision(id, 0).then(
      (read) => {
        if (!stale) setMachine(new Set(read.transcript.segments.map(segmentKey)));
      },
      () => {
        // Only the per-segment markers are lost; the page still says the transcript was edited.
      },
    );
    return () => {
      stale = true;
    };
  }, [api, id, edited, machine]);
  return useMemo(() => {
    const changed = new Set<number>();
    if (!edited || !machine) return changed;
    segments.forEach((s, i) => {
      if (!machine.has(segmentKey(s))) changed.add(i);
    });
    return changed;
  }, [edited, machine, segments]);
}

function segmentKey(s: Segment): string {
  return `${s.start.toFixed(2)}|${s.text.trim()}`;
}
