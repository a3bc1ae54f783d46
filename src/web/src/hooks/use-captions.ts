import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../api/client';

/**
 * A WebVTT captions track for a video, as a Blob URL: a <track> cannot send the Authorization
 * header either, so the finished transcript is fetched once with it. Null until then (or on failure:
 * captions are a convenience, the transcript beside the video is always there).
 */
export function useCaptions(api: Api, taskId: string, enabled: boolean): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!enabled) return undefined;
    let objectUrl: string | null = null;
    let stale = false;
    api
      .transcriptBlob(taskId, 'vtt')
      .then((blob) => {
        if (stale) return;
        objectUrl = URL.createObjectURL(new Blob([blob], { type: 'text/vtt' }));
        setUrl(objectUrl);
      })
      .catch(() => setUrl(null));
    return () => {
      stale = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      setUrl(null);
    };
  }, [api, taskId, enabled]);
  return url;
}
