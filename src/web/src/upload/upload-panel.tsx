import { useState } from 'preact/hooks';
import type { Api } from '../api/client';
import type { Task } from '../api/types';
import type { UploadOptions } from '../api/upload';
import { useAnnounce } from '../components/announcer';
import { useUploads } from '../hooks/use-uploads';
import { DropZone } from './drop-zone';
import { UploadItemRow } from './upload-item';
import { UploadOptionsForm } from './upload-options';

const OPTIONS_KEY = 'earshot.upload-options';

interface Props {
  api: Api;
  onCreated(task: Task): void;
}

export function UploadPanel({ api, onCreated }: Props) {
  const announce = useAnnounce();
  const [options, setOptions] = useState<UploadOptions>(loadOptions);
  const uploads = useUploads(api, announce, onCreated);

  const changeOptions = (next: UploadOptions) => {
    setOptions(next);
    try {
      localStorage.setItem(OPTIONS_KEY, JSON.stringify(next));
    } catch {
      // Options then last only for this visit.
    }
  };

  return (
    <section class="card upload-panel" aria-labelledby="upload-title">
      <h2 id="upload-title">Transcribe recordings</h2>
      <div class="upload-panel__body">
        <UploadOptionsForm value={options} onChange={changeOptions} />
        <DropZone onFiles={(files) => uploads.add(files, options)} />
      </div>
      {uploads.items.length > 0 && (
        <ul class="upload-list" aria-label="Uploads" data-testid="upload-list">
          {uploads.items.map((item) => (
            <UploadItemRow
              key={item.key}
              item={item}
              onCancel={() => uploads.cancel(item.key)}
              onRetry={() => uploads.retry(item.key)}
              onDismiss={() => uploads.dismiss(item.key)}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function loadOptions(): UploadOptions {
  const fallback: UploadOptions = { language: 'en', formats: ['json', 'srt', 'vtt', 'txt'] };
  try {
    const saved = JSON.parse(localStorage.getItem(OPTIONS_KEY) ?? 'null') as Partial<UploadOptions> | null;
    if (!saved) return fallback;
    return {
      language: typeof saved.language === 'string' ? saved.language : fallback.language,
      formats: Array.isArray(saved.formats) ? saved.formats : fallback.formats,
    };
  } catch {
    return fallback;
  }
}
