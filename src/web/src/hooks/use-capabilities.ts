import { useEffect, useState } from 'preact/hooks';
import { type Capabilities, fetchCapabilities } from '../api/capabilities';
import type { Api } from '../api/client';

/** The server's capabilities once read; null while loading or when the server could not say. */
export function useCapabilities(api: Api): Capabilities | null {
  const [caps, setCaps] = useState<Capabilities | null>(null);
  useEffect(() => {
    let stale = false;
    fetchCapabilities(api).then(
      (c) => {
        if (!stale) setCaps(c);
      },
      // An older server without the endpoint: the UI falls back to a free language field.
      () => {},
    );
    return () => {
      stale = true;
    };
  }, [api]);
  return caps;
}
