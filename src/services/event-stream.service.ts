import { NotFoundError } from '../core/errors/index.js';
import type { Logger } from '../core/logger.js';
import type { Task } from '../core/task.js';
import type { User } from '../core/user.js';
import type { Scope, TaskStore } from '../store/task.store.js';
import type { EventHub } from './events/event-hub.js';
import type { Subscriber } from './events/event-subscribers.js';
import { type EventFilter, type HubEvent, matches } from './events/hub-event.js';
import { scopeOf } from './task.service.js';

/** Where a followed stream goes (an SSE response). */
export interface EventSink extends Subscriber {
  readonly closed: boolean;
  /** Starts the response; from here on, failures can no longer be answered with an error status. */
  open(): void;
  /** The current state, sent first on every connection. */
  snapshot(tasks: readonly Task[]): void;
  /** Events at or below `seq` count as already sent. */
  resumeAfter(seq: number): void;
  /** Writes a replayed event (skipped when at or below the last one written). */
  writeEvent(he: HubEvent): void;
  /** Resolves when the client has read enough to take more. */
  drained(): Promise<void>;
  /** Replay done: live events held meanwhile are written, and later ones at once. */
  goLive(): void;
  /** Runs `fn` once when the sink ends, whoever ends it. */
  onClose(fn: () => void): void;
}

export interface FollowRequest {
  user: User;
  /** One task's events, or null for all the user's tasks (an admin's: everyone's). */
  taskId: string | null;
  /** Last-Event-ID: replay what came after it before going live; null for live events only. */
  lastEventId: number | null;
}

/** The all-tasks snapshot shows at most this many tasks of each running status. */
const SNAPSHOT_LIMIT = 100;
const REPLAY_BATCH = 500;

/**
 * Following events as a client sees them: subscribe to the hub (live events are held), send the
 * snapshot, replay what the client missed since Last-Event-ID from the store, then release the held
 * live events. Sequence numbers make the seam exact: nothing is lost between replay and live, and
 * nothing is sent twice.
 */
export class EventStreamService {
  constructor(private readonly deps: { store: TaskStore; hub: EventHub; log: Logger }) {}

  /**
   * Throws (before anything is written) NotFoundError for a task the user cannot see and 503 when
   * too many streams are open; afterwards a failure only ends the stream (the client resumes).
   */
  async follow(sink: EventSink, req: FollowRequest): Promise<void> {
    const { store, hub, log } = this.deps;
    const scope = scopeOf(req.user);
    if (req.taskId !== null && (await store.get(req.taskId, scope)) === null) throw new NotFoundError();
    const filter: EventFilter = { userId: req.user.role === 'admin' ? null : req.user.id, taskId: req.taskId };
    sink.onClose(hub.subscribe(filter, sink));
    try {
      sink.open();
      // Without Last-Event-ID the stream starts at the snapshot: events logged before it was read
      // are reflected in it (a client re-reads the partial transcript once the snapshot arrives),
      // and the hub, which may not have dispatched them yet, must not repeat them afterwards.
      if (req.lastEventId === null) sink.resumeAfter(await store.latestEventSeq());
      sink.snapshot(await this.snapshot(scope, req.taskId));
      if (req.lastEventId !== null) await this.replay(sink, filter, req.lastEventId);
      sink.goLive();
    } catch (err) {
      log.warn({ err }, 'event stream failed while starting');
      sink.close();
    }
  }

  /** The task itself, or the scope's processing and queued tasks. */
  private async snapshot(scope: Scope, taskId: string | null): Promise<Task[]> {
    const { store } = this.deps;
    if (taskId !== null) {
      const task = await store.get(taskId, scope);
      return task === null ? [] : [task];
    }
    const [processing, queued] = await Promise.all([
      store.list(scope, { status: 'processing', limit: SNAPSHOT_LIMIT, offset: 0 }),
      store.list(scope, { status: 'queued', limit: SNAPSHOT_LIMIT, offset: 0 }),
    ]);
    return [...processing.tasks, ...queued.tasks];
  }

  /** Writes the logged events after `lastEventId` that the filter matches, at the client's pace. */
  private async replay(sink: EventSink, filter: EventFilter, lastEventId: number): Promise<void> {
    const { store, hub } = this.deps;
    // A Last-Event-ID from the future (another server, a reset database) would mute the stream.
    let after = Math.min(lastEventId, await store.latestEventSeq());
    sink.resumeAfter(after);
    const byStore =
      filter.taskId !== null
        ? { taskId: filter.taskId }
        : filter.userId !== null
          ? { userId: filter.userId }
          : undefined;
    while (!sink.closed) {
      const events = await store.readEvents(after, REPLAY_BATCH, byStore);
      if (events.length === 0) break;
      for (const he of await hub.withTasks(events.filter((ev) => matches(filter, ev)))) sink.writeEvent(he);
      after = (events[events.length - 1] as (typeof events)[number]).seq;
      if (events.length < REPLAY_BATCH) break;
      await sink.drained();
    }
  }
}
