import { useEffect, useRef } from 'preact/hooks';
import { EventStream, type StreamHandlers } from '../api/event-stream';

/**
 * Keeps one EventStream open for `url` while the component is mounted (null: none). Handlers are read
 * through a ref, so a re-render never reconnects.
 */
export function useEventStream(url: string | null, handlers: StreamHandlers): void {
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    if (!url) return undefined;
    const stream = new EventStream(url, {
      onSnapshot: (tasks) => latest.current.onSnapshot?.(tasks),
      onTask: (task) => latest.current.onTask?.(task),
      onGone: (id, kind) => latest.current.onGone?.(id, kind),
      onSegment: (event) => latest.current.onSegment?.(event),
      onArtifact: (event) => latest.current.onArtifact?.(event),
      onResync: () => latest.current.onResync?.(),
      onState: (state) => latest.current.onState?.(state),
    });
    return () => stream.close();
  }, [url]);
}
