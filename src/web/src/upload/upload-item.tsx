import { useEffect, useState } from 'preact/hooks';
import { ProgressBar } from '../components/progress-bar';
import type { UploadItem } from '../hooks/use-uploads';
import { formatBytes, formatPercent } from '../lib/format';
import { taskHref } from '../lib/route';

interface Props {
  item: UploadItem;
  onCancel(): void;
  onRetry(): void;
  onDismiss(): void;
}

export function UploadItemRow({ item, onCancel, onRetry, onDismiss }: Props) {
  const wait = useCountdown(item.state === 'failed' ? item.retryAfterSeconds : null);
  const percent = item.total > 0 ? (item.loaded / item.total) * 100 : 0;
  return (
    <li class={`upload upload--${item.state}`} data-testid="upload-item" data-state={item.state}>
      <div class="upload__head">
        <span class="upload__name" title={item.file.name}>
          {item.file.name}
        </span>
        <span class="upload__size">{formatBytes(item.file.size)}</span>
      </div>
      {item.state === 'uploading' && (
        <div class="upload__progress">
          <ProgressBar value={percent} label={`Uploading ${item.file.name}`} testId="upload-progress" />
          <span class="numeric">{formatPercent(percent)}</span>
        </div>
      )}
      {item.state === 'done' && item.task && (
        <p class="upload__status">
          Uploaded. <a href={taskHref(item.task.id)}>Open task</a>
        </p>
      )}
      {item.state === 'cancelled' && <p class="upload__status">Upload cancelled.</p>}
      {item.state === 'failed' && (
        <p class="error-text" data-testid="upload-error">
          {item.error}
        </p>
      )}
      <div class="upload__actions">
        {item.state === 'uploading' && (
          <button type="button" class="button button--quiet" onClick={onCancel}>
            Cancel upload<span class="visually-hidden"> of {item.file.name}</span>
          </button>
        )}
        {(item.state === 'cancelled' || (item.state === 'failed' && item.retryable)) && (
          <button
            type="button"
            class="button"
            onClick={onRetry}
            disabled={wait !== null && wait > 0}
            data-testid="upload-retry"
          >
            Try again<span class="visually-hidden"> to upload {item.file.name}</span>
            {wait !== null && wait > 0 && <span class="numeric"> in {wait} s</span>}
          </button>
        )}
        {item.state !== 'uploading' && (
          <button type="button" class="button button--quiet" onClick={onDismiss} data-testid="upload-dismiss">
            Dismiss<span class="visually-hidden"> {item.file.name}</span>
          </button>
        )}
      </div>
    </li>
  );
}

/** Seconds left of a Retry-After hint, ticking down once a second. */
function useCountdown(seconds: number | null): number | null {
  const [left, setLeft] = useState(seconds);
  useEffect(() => {
    setLeft(seconds);
    if (seconds === null || seconds <= 0) return undefined;
    const until = Date.now() + seconds * 1000;
    const timer = setInterval(() => {
      const rest = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      setLeft(rest);
      if (rest === 0) clearInterval(timer);
    }, 1000);
    return () => clearInterval(timer);
  }, [seconds]);
  return left;
}
