import {
  type ArtifactStreamData,
  GONE_STREAM_EVENTS,
  type SegmentStreamData,
  TASK_VIEW_STREAM_EVENTS,
} from '../../../core/event.js';
import type { Task } from './types';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

/** The data of a `segment` event: one recognised chunk. */
export type SegmentEvent = SegmentStreamData;

/** The data of an `artifact` event: a summary or polish changed state. */
export type ArtifactEvent = ArtifactStreamData;

/** What a stream reports. Every handler is optional. */
export interface StreamHandlers {
  /** The current state of the tasks; sent first on every (re)connection. */
  onSnapshot?(tasks: Task[]): void;
  /** A task changed (progress, done, error). */
  onTask?(task: Task): void;
  /** A task was cancelled or deleted; its row should be re-read. */
  onGone?(taskId: string, kind: (typeof GONE_STREAM_EVENTS)[number]): void;
  onSegment?(event: SegmentEvent): void;
  onArtifact?(event: ArtifactEvent): void;
  /** The stream came back after a break (a server restart, say): anything cached may be stale. */
  onResync?(): void;
  onState?(state: ConnectionState): void;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * An EventSource with the one recovery it lacks. While the connection merely drops, EventSource
 * reconnects by itself and sends Last-Event-ID, so the server replays what was missed; nothing is
 * polled meanwhile. But a non-200 answer (503 while the server restarts, say) closes it for good; then
 * a fresh one is opened with backoff, passing the last id as `last_event_id` (a fresh EventSource
 * cannot set the header). Either way `onResync` tells the owner to re-read what it shows, since a
 * restarted server may have lost or pruned events.
 */
export class EventStream {
  private source: EventSource | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private broken = false;
  private closed = false;
  /** The last `id:` seen; a fresh EventSource passes it as `last_event_id` so the server replays the gap. */
  private lastId: string | null = null;

  constructor(
    private readonly url: string,
    private readonly handlers: StreamHandlers,
  ) {
    this.open();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.source?.close();
    this.source = null;
  }

  private open(): void {
    if (this.closed) return;
    this.handlers.onState?.(this.failures === 0 && !this.broken ? 'connecting' : 'reconnecting');
    const source = new EventSource(this.resumeUrl());
    this.source = source;
    source.addEventListener('open', () => {
      this.failures = 0;
      this.handlers.onState?.('live');
      if (this.broken) {
        this.broken = false;
        this.handlers.onResync?.();
      }
    });
    source.addEventListener('error', (e) => {
      // The API's own `error` event (a task failed) shares the name with EventSource's connection
      // error; only the latter is a plain Event without data.
      if (e instanceof MessageEvent) return;
      this.broken = true;
      this.handlers.onState?.('reconnecting');
      if (source.readyState === EventSource.CLOSED) this.reopenLater();
    });
    // Without an id to resume from, the server starts the stream at its snapshot: anything the owner
    // read before it (a partial transcript) may lack what happened in between, so it re-reads.
    const fromSnapshot = this.lastId === null;
    source.addEventListener('snapshot', (e) => {
      this.handlers.onSnapshot?.(this.read<{ tasks?: Task[] }>(e)?.tasks ?? []);
      if (fromSnapshot) this.handlers.onResync?.();
    });
    for (const type of TASK_VIEW_STREAM_EVENTS) {
      source.addEventListener(type, (e) => {
        const task = this.read<{ task?: Task }>(e)?.task;
        if (task) this.handlers.onTask?.(task);
      });
    }
    for (const kind of GONE_STREAM_EVENTS) {
      source.addEventListener(kind, (e) => {
        const id = this.read<{ task_id?: string }>(e)?.task_id;
        if (id) this.handlers.onGone?.(id, kind);
      });
    }
    source.addEventListener('segment', (e) => {
      const data = this.read<SegmentEvent>(e);
      if (data?.task_id && Array.isArray(data.segments)) this.handlers.onSegment?.(data);
    });
    source.addEventListener('artifact', (e) => {
      const data = this.read<ArtifactEvent>(e);
      if (data?.task_id && data.kind) this.handlers.onArtifact?.(data);
    });
  }

  /** Parses an event's JSON and remembers its id for a later resume. */
  private read<T>(e: Event): T | null {
    if (!(e instanceof MessageEvent)) return null;
    if (e.lastEventId) this.lastId = e.lastEventId;
    return parse<T>(e.data);
  }

  private resumeUrl(): string {
    if (this.lastId === null) return this.url;
    const sep = this.url.includes('?') ? '&' : '?';
    return `${this.url}${sep}last_event_id=${encodeURIComponent(this.lastId)}`;
  }

  private reopenLater(): void {
    this.source?.close();
    this.source = null;
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.failures);
    this.failures += 1;
    this.timer = setTimeout(() => this.open(), delay);
  }
}

function parse<T>(data: unknown): T | null {
  if (typeof data !== 'string') return null;
  try {
    return JSON.parse(data) as T;
  } catch {
    return null;
  }
}
