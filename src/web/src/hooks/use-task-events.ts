import type { Api } from '../api/client';
import type { StreamHandlers } from '../api/event-stream';
import { useEventStream } from './use-event-stream';

/** One part of a page that follows a task's event stream, and whether it needs the stream now. */
export interface StreamFollower {
  live: boolean;
  handlers: StreamHandlers;
}

/**
 * One event stream for a task, shared by the parts of its page that follow it (the transcript while
 * the task runs, the summary and polish while they run after it): open while any of them is live,
 * so the server counts one client, and closed once nothing is left to follow.
 */
export function useTaskEvents(api: Api, taskId: string, followers: readonly StreamFollower[]): void {
  const live = followers.some((f) => f.live);
  const all = <K extends keyof StreamHandlers>(key: K) =>
    ((...args: unknown[]) => {
      for (const f of followers) (f.handlers[key] as ((...a: unknown[]) => void) | undefined)?.(...args);
    }) as NonNullable<StreamHandlers[K]>;
  useEventStream(live ? api.urlWithToken(`/v1/tasks/${encodeURIComponent(taskId)}/events`) : null, {
    onSnapshot: all('onSnapshot'),
    onTask: all('onTask'),
    onGone: all('onGone'),
    onSegment: all('onSegment'),
    onArtifact: all('onArtifact'),
    onResync: all('onResync'),
    onState: all('onState'),
  });
}
