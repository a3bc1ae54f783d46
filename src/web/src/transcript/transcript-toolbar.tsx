import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Api } from '../api/client';
import { describeError } from '../api/errors';
import { OUTPUT_FORMATS, type OutputFormat, type TaskStatus, type TranscriptVariant } from '../api/types';
import { useAnnounce } from '../components/announcer';
import { copyText, saveBlob } from '../lib/download';
import { baseName } from '../lib/format';

interface Props {
  api: Api;
  taskId: string;
  sourceName: string;
  /** Downloads need the finished transcript. */
  status: TaskStatus;
  /** Which transcript the buttons download (and the text copied is). */
  variant: TranscriptVariant;
  text: string;
  /** More controls in the same bar (edit state, history, shortcuts). */
  children?: ComponentChildren;
}

/** Download buttons (fetched with the auth header, saved from a Blob) and copy-to-clipboard. */
const NOT_READY: Record<TaskStatus, string | null> = {
  queued: 'Downloads are ready once the transcript is finished.',
  processing: 'Downloads are ready once the transcript is finished.',
  succeeded: null,
  failed: 'No downloads: the task failed. Retry it to try again.',
  cancelled: 'No downloads: the task was cancelled. Retry it to transcribe the recording.',
};

export function TranscriptToolbar({ api, taskId, sourceName, status, variant, text, children }: Props) {
  const ready = status === 'succeeded';
  const announce = useAnnounce();
  const [busy, setBusy] = useState<OutputFormat | null>(null);
  const [error, setError] = useState<string | null>(null);

  const download = async (format: OutputFormat) => {
    setBusy(format);
    setError(null);
    try {
      const blob = await api.transcriptBlob(taskId, format, variant);
      // The server's own name for a polished download (Content-Disposition): NAME.polished.FORMAT.
      const stem = variant === 'polished' ? `${baseName(sourceName)}.polished` : baseName(sourceName);
      saveBlob(blob, `${stem}.${format}`);
      announce(`Downloaded ${variant === 'polished' ? 'the polished ' : ''}${format.toUpperCase()}.`);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  };

  const copy = async () => {
    setError(null);
    try {
      await copyText(text);
      announce(`${variant === 'polished' ? 'Polished transcript' : 'Transcript'} copied to the clipboard.`);
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <div class="toolbar">
      <fieldset class="toolbar__group">
        <legend class="visually-hidden">Download the {variant === 'polished' ? 'polished ' : ''}transcript</legend>
        {OUTPUT_FORMATS.map((format) => (
          <button
            key={format}
            type="button"
            class="button"
            disabled={!ready || busy !== null}
            onClick={() => download(format)}
            data-testid={`download-${format}`}
          >
            <span class="visually-hidden">Download </span>
            {format.toUpperCase()}
          </button>
        ))}
      </fieldset>
      <button type="button" class="button" disabled={text === ''} onClick={copy} data-testid="copy-text">
        Copy all text
      </button>
      {children}
      {NOT_READY[status] && (
        <p class="hint" data-testid="downloads-hint">
          {NOT_READY[status]}
        </p>
      )}
      {error && (
        <p class="error-text" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
