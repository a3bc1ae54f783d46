import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import { describeError } from '../api/errors';

export interface MediaSource {
  src: string | null;
  /** Give to the media element's onError. */
  onError(): void;
  error: string | null;
  /** True once the blob fallback is in use (the media route refused the query token). */
  viaBlob: boolean;
}

/**
 * <audio>/<video> cannot send an Authorization header, so the media URL carries `?access_token=`
 * and streams with Range requests. If the server refuses that (the media route may accept only the
 * header), the file is fetched once with the header and played from a Blob URL instead: it works
 * everywhere, at the cost of downloading the whole file before playback.
 */
export function useMediaSource(api: Api, taskId: string): MediaSource {
  const [src, setSrc] = useState<string | null>(() => api.urlWithToken(api.mediaPath(taskId)));
  const [error, setError] = useState<string | null>(null);
  const [viaBlob, setViaBlob] = useState(false);
  const objectUrl = useRef<string | null>(null);
  const triedBlob = useRef(false);

  useEffect(() => {
    setSrc(api.urlWithToken(api.mediaPath(taskId)));
    setError(null);
    setViaBlob(false);
    triedBlob.current = false;
    return () => {
      if (objectUrl.current) URL.revokeObjectURL(objectUrl.current);
      objectUrl.current = null;
    };
  }, [api, taskId]);

  const onError = useCallback(() => {
    if (triedBlob.current || !api.token) {
      setError('The recording cannot be played in this browser.');
      return;
    }
    triedBlob.current = true;
    api
      .mediaBlob(taskId)
      .then((blob) => {
        objectUrl.current = URL.createObjectURL(blob);
        setViaBlob(true);
        setSrc(objectUrl.current);
      })
      .catch((err: unknown) => setError(`The recording could not be loaded: ${describeError(err)}`));
  }, [api, taskId]);

  return { src, onError, error, viaBlob };
}
