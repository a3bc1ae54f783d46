import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import type { Task } from '../api/types';
import type { UploadOptions } from '../api/upload';
import { useAnnounce } from '../components/announcer';
import { useCapabilities } from '../hooks/use-capabilities';
import { useUploads } from '../hooks/use-uploads';
import { DropZone } from './drop-zone';
import { UploadItemRow } from './upload-item';
import { languageProblem, UploadOptionsForm } from './upload-options';

const OPTIONS_KEY = 'earshot.upload-options';

interface Props {
  api: Api;
  onCreated(task: Task): void;
  /** Ids of the tasks the list below shows: a finished upload listed there needs no row of its own. */
  listed: ReadonlySet<string>;
}

export function UploadPanel({ api, onCreated, listed }: Props) {
  const announce = useAnnounce();
  const [saved, setOptions] = useState<UploadOptions>(loadOptions);
  const uploads = useUploads(api, announce, onCreated);
  const caps = useCapabilities(api);
  const languages = caps?.languages ?? null;
  const postprocessing = caps?.postprocessing ?? [];
  // A language saved on an earlier visit (or another server) that this one cannot do is not offered,
  // nor a summary or polish without an LLM server (the upload would be refused).
  const options: UploadOptions = {
    ...saved,
    language:
      languages !== null && !languages.includes(saved.language)
        ? languages.includes(caps?.default_language ?? '')
          ? (caps?.default_language ?? '')
          : (languages[0] ?? '')
        : saved.language,
    summary: saved.summary && postprocessing.includes('summary'),
    polish: saved.polish && postprocessing.includes('polish'),
  };
  const blocked = languageProblem(options.language, languages) !== null;
  const shown = uploads.items.filter((item) => !(item.state === 'done' && item.task && listed.has(item.task.id)));
  const { dismiss } = uploads;
  useEffect(() => {
    for (const item of uploads.items) {
      if (item.state === 'done' && item.task && listed.has(item.task.id)) dismiss(item.key);
    }
  }, [uploads.items, listed, dismiss]);

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
        <UploadOptionsForm
          value={options}
          languages={languages}
          postprocessing={postprocessing}
          onChange={changeOptions}
        />
        <DropZone onFiles={(files) => uploads.add(files, options)} disabled={blocked} />
      </div>
      {shown.length > 0 && (
        <ul class="upload-list" aria-label="Uploads" data-testid="upload-list">
          {shown.map((item) => (
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
  const fallback: UploadOptions = {
    language: 'en',
    formats: ['json', 'srt', 'vtt', 'txt'],
    summary: false,
    polish: false,
  };
  try {
    const saved = JSON.parse(localStorage.getItem(OPTIONS_KEY) ?? 'null') as Partial<UploadOptions> | null;
    if (!saved) return fallback;
    return {
      language: typeof saved.language === 'string' ? saved.language : fallback.language,
      formats: Array.isArray(saved.formats) ? saved.formats : fallback.formats,
      summary: saved.summary === true,
      polish: saved.polish === true,
    };
  } catch {
    return fallback;
  }
}
