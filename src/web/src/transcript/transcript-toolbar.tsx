import { useState } from 'preact/hooks';
import type { Api } from '../api/client';
import { describeError } from '../api/errors';
import { OUTPUT_FORMATS, type OutputFormat } from '../api/types';
import { useAnnounce } from '../components/announcer';
import { copyText, saveBlob } from '../lib/download';
import { baseName } from '../lib/format';

interface Props {
  api: Api;
  taskId: string;
  sourceName: string;
  /** Downloads need the finished transcript. */
  ready: boolean;
  text: string;
}

/** Download buttons (fetched with the auth header, saved from a Blob) and copy-to-clipboard. */
export function TranscriptToolbar({ api, taskId, sourceName, ready, text }: Props) {
  const announce = useAnnounce();
  const [busy, setBusy] = useState<OutputFormat | null>(null);
  const [error, setError] = useState<string | null>(null);

  const download = async (format: OutputFormat) => {
    setBusy(format);
    setError(null);
    try {
      const blob = await api.transcriptBlob(taskId, format);
      saveBlob(blob, `${baseName(sourceName)}.${format}`);
      announce(`Downloaded ${format.toUpperCase()}.`);
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
      announce('Transcript copied to the clipboard.');
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <div class="toolbar">
      <fieldset class="toolbar__group">
        <legend class="visually-hidden">Download the transcript</legend>
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
        Copy text
      </button>
      {!ready && <p class="hint">Downloads are ready once the transcript is finished.</p>}
      {error && (
        <p class="error-text" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
