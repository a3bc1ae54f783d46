import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import { describeError } from '../api/errors';
import type { Transcript } from '../api/types';

export interface PolishedTranscript {
  transcript: Transcript | null;
  error: string | null;
}

/** The polished transcript, read the first time it is wanted (it never changes once made). */
export function usePolishedTranscript(api: Api, taskId: string, wanted: boolean): PolishedTranscript {
  const [state, setState] = useState<PolishedTranscript>({ transcript: null, error: null });
  const loaded = state.transcript !== null;
  useEffect(() => {
    if (!wanted || loaded) return undefined;
    let stale = false;
    setState({ transcript: null, error: null });
    api.transcript(taskId, false, 'polished').then(
      (transcript) => {
        if (!stale) setState({ transcript, error: null });
      },
      (err: unknown) => {
        if (!stale) setState({ transcript: null, error: describeError(err) });
      },
    );
    return () => {
      stale = true;
    };
  }, [api, taskId, wanted, loaded]);
  return state;
}
