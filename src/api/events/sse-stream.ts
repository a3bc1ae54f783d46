import type { FastifyReply } from 'fastify';
import { type ArtifactStreamData, type SegmentStreamData, STREAM_EVENT_OF } from '../../core/event.js';
import type { Task } from '../../core/task.js';
import type { EventSink } from '../../services/event-stream.service.js';
import type { HubEvent } from '../../services/events/event-hub.js';
import { toTaskView } from '../task-view.js';

/** One SSE message, or null when the event has nothing to show (its task vanished meanwhile). */
function frameFor({ event, task }: HubEvent): string | null {
  const type = STREAM_EVENT_OF[event.type];
  let data: unknown;
  switch (event.type) {
    case 'created':
    case 'progress':
    case 'retrying':
    case 'done':
    case 'error':
    case 'renamed':
      if (task === null) return null;
      data = { task: toTaskView(task) };
      break;
    case 'segment':
      data = {
        task_id: event.taskId,
        index: event.data.index,
        segments: event.data.segments,
      } satisfies SegmentStreamData;
      break;
    case 'cancelled':
    case 'deleted':
      data = { task_id: event.taskId };
      break;
    case 'artifact': {
      const a = event.data;
      data = {
        task_id: event.taskId,
        kind: a.kind,
        status: a.status,
        stage: a.stage,
        progress: { done_windows: a.doneWindows, total_windows: a.totalWindows },
        attempts: a.attempts,
        error: a.errorCode === null ? null : { code: a.errorCode, message: a.errorMessage ?? '' },
        revision: a.revision ?? null,
      } satisfies ArtifactStreamData;
      break;
    }
  }
  return `id: ${event.seq}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Every subscriber receives the same event object, so each frame is serialised once. */
const frames = new WeakMap<HubEvent, string | null>();
function cachedFrame(he: HubEvent): string | null {
  let f = frames.get(he);
  if (f === undefined) {
    f = frameFor(he);
    frames.set(he, f);
  }
  return f;
}

export interface SseLimits {
  /** Bytes the socket may hold unsent before the client counts as too slow and is dropped. */
  maxBufferedBytes: number;
  /** Live events held while the missed ones are replayed; more drops the client (it resumes). */
  maxPending: number;
}

/**
 * One open `text/event-stream` response. Until `goLive()` it is replaying missed events, and live
 * events from the hub wait in `pending`; every event is written at most once and in order because
 * only sequence numbers above `lastSeq` are written. A client that stops reading is dropped instead
 * of buffering without bound; EventSource reconnects with Last-Event-ID and loses nothing.
 */
export class SseStream implements EventSink {
  closed = false;
  private lastSeq = 0;
  private live = false;
  private pending: HubEvent[] = [];
  private readonly closeHandlers: Array<() => void> = [];
  private readonly raw: FastifyReply['raw'];

  constructor(
    private readonly reply: FastifyReply,
    private readonly limits: SseLimits,
  ) {
    this.raw = reply.raw;
    this.raw.on('close', () => this.finish(false));
  }

  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closeHandlers.push(fn);
  }

  /** Takes the response over from Fastify and sends the headers. */
  open(): void {
    this.reply.hijack();
    this.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // The stream is the whole connection: when it ends, so does the socket (server shutdown must not wait on it).
      connection: 'close',
      'x-accel-buffering': 'no',
    });
    this.raw.flushHeaders();
  }

  snapshot(tasks: readonly Task[]): void {
    const now = Date.now();
    this.write(`event: snapshot\ndata: ${JSON.stringify({ tasks: tasks.map((t) => toTaskView(t, now)) })}\n\n`);
  }

  resumeAfter(seq: number): void {
    this.lastSeq = Math.max(this.lastSeq, seq);
  }

  deliver(he: HubEvent): void {
    if (this.closed) return;
    if (!this.live) {
      if (this.pending.length >= this.limits.maxPending) this.finish(true);
      else this.pending.push(he);
      return;
    }
    this.writeEvent(he);
  }

  /** Writes an event unless an equal or later one was already written. */
  writeEvent(he: HubEvent): void {
    if (this.closed || he.event.seq <= this.lastSeq) return;
    const frame = cachedFrame(he);
    this.lastSeq = he.event.seq;
    if (frame !== null) this.write(frame);
  }

  /** Replay done: flush what arrived meanwhile and deliver directly from now on. */
  goLive(): void {
    this.live = true;
    const pending = this.pending;
    this.pending = [];
    for (const he of pending) this.writeEvent(he);
  }

  /** Resolves when the socket has room again (replay uses it to write at the client's pace). */
  async drained(): Promise<void> {
    if (this.closed || this.raw.writableLength < this.limits.maxBufferedBytes / 2) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.raw.off('drain', done);
        this.raw.off('close', done);
        resolve();
      };
      this.raw.on('drain', done);
      this.raw.on('close', done);
    });
  }

  heartbeat(): void {
    this.write(': heartbeat\n\n');
  }

  close(): void {
    this.finish(false);
  }

  private write(chunk: string): void {
    if (this.closed) return;
    if (this.raw.writableLength > this.limits.maxBufferedBytes) {
      this.finish(true);
      return;
    }
    this.raw.write(chunk);
  }

  /** Ends the response (gracefully, or by destroying the socket of a client that stopped reading). */
  private finish(abort: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    if (abort) this.raw.destroy();
    else if (!this.raw.writableEnded) this.raw.end();
    for (const fn of this.closeHandlers.splice(0)) fn();
  }
}
