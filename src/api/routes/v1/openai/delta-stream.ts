import type { FastifyReply } from 'fastify';
import { InternalError, ServiceUnavailableError, TaskFailedError } from '../../../../core/errors/index.js';
import { endsTask, type TaskEvent } from '../../../../core/event.js';
import type { Logger } from '../../../../core/logger.js';
import type { Task } from '../../../../core/task.js';
import type { Transcript } from '../../../../core/transcript.js';
import type { EventSink } from '../../../../services/event-stream.service.js';
import type { HubEvent } from '../../../../services/events/event-hub.js';
import { describeError } from '../../../plugins/error-handler.js';
import { openAiErrorBody, taskCancelled, taskDeleted } from './openai-errors.js';
import { usageOf } from './openai-formats.js';
import { PrefixDeltas } from './prefix-deltas.js';

export interface DeltaStreamOptions {
  /** The final transcript of the task, read once it succeeded. */
  transcript: (task: Task) => Promise<Transcript>;
  log: Logger;
  /** Bytes the socket may hold unsent before the client counts as gone. */
  maxBufferedBytes: number;
  /** Live events held while the task's earlier events are replayed. */
  maxPending: number;
  /** Out-of-order chunk texts held (see PrefixDeltas). */
  maxHeldChunks: number;
}

/**
 * `stream=true` on POST /v1/audio/transcriptions: one task's events (replayed, then live, through
 * EventStreamService.follow) written as OpenAI's transcription stream. Each finished chunk that
 * extends the contiguous prefix becomes `data: {"type":"transcript.text.delta","delta":...}`; the
 * task's success becomes `transcript.text.done` with the final text; its failure, cancellation or
 * deletion, or a server shutdown, becomes an `error` event (the OpenAI SDKs raise it as APIError).
 * `settled` tells the route whether the task ended (so there is nothing left to cancel).
 */
export class DeltaStream implements EventSink {
  closed = false;
  /** The task's end was seen (succeeded, failed, cancelled or deleted). */
  settled = false;
  private lastSeq = 0;
  private live = false;
  private ending = false;
  private pending: HubEvent[] = [];
  private readonly deltas: PrefixDeltas;
  private readonly closeHandlers: Array<() => void> = [];
  private readonly raw: FastifyReply['raw'];

  constructor(
    private readonly reply: FastifyReply,
    private readonly opts: DeltaStreamOptions,
  ) {
    this.raw = reply.raw;
    this.deltas = new PrefixDeltas(opts.maxHeldChunks);
    this.raw.on('close', () => this.finish(false));
  }

  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closeHandlers.push(fn);
  }

  open(): void {
    this.reply.hijack();
    this.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'close',
      'x-accel-buffering': 'no',
    });
    this.raw.flushHeaders();
  }

  /** The task row at the start; its events (replayed from before it) say everything needed. */
  snapshot(): void {}

  resumeAfter(seq: number): void {
    this.lastSeq = Math.max(this.lastSeq, seq);
  }

  deliver(he: HubEvent): void {
    if (this.closed) return;
    if (!this.live) {
      if (this.pending.length >= this.opts.maxPending) this.finish(true);
      else this.pending.push(he);
      return;
    }
    this.writeEvent(he);
  }

  writeEvent(he: HubEvent): void {
    if (this.closed || he.event.seq <= this.lastSeq) return;
    this.lastSeq = he.event.seq;
    if (!this.ending) this.handle(he.event, he.task);
  }

  goLive(): void {
    this.live = true;
    const pending = this.pending;
    this.pending = [];
    for (const he of pending) this.writeEvent(he);
  }

  async drained(): Promise<void> {
    if (this.closed || this.raw.writableLength < this.opts.maxBufferedBytes / 2) return;
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

  /** An SSE comment: keeps proxies from closing a stream that waits long for its next chunk. */
  heartbeat(): void {
    this.write(': keep-alive\n\n');
  }

  /** The server ends the stream (shutting down, or following failed): the client hears it before the end. */
  close(): void {
    if (this.closed) return;
    this.writeError(
      new ServiceUnavailableError(
        'the server ended the stream before the transcription finished; send the request again',
      ),
    );
    this.finish(false);
  }

  private handle(event: TaskEvent, task: Task | null): void {
    if (endsTask(event.type)) this.settled = true;
    switch (event.type) {
      case 'segment': {
        const delta = this.deltas.add(event.data.index, event.data.segments);
        if (delta !== '') this.send({ type: 'transcript.text.delta', delta });
        return;
      }
      case 'done':
        this.ending = true;
        void this.sendDone(task);
        return;
      case 'error':
        this.end(new TaskFailedError(event.taskId, event.data.errorCode, event.data.errorMessage));
        return;
      case 'cancelled':
        this.end(taskCancelled());
        return;
      case 'deleted':
        this.end(taskDeleted());
        return;
      case 'created':
      case 'progress':
      case 'retrying':
      case 'renamed':
        return;
    }
  }

  private async sendDone(task: Task | null): Promise<void> {
    try {
      if (task === null) throw taskDeleted();
      const transcript = await this.opts.transcript(task);
      if (this.closed) return;
      const rest = this.deltas.finish(transcript.text);
      if (rest !== '') this.send({ type: 'transcript.text.delta', delta: rest });
      this.send({ type: 'transcript.text.done', text: transcript.text, usage: usageOf(transcript) });
      this.finish(false);
    } catch (err) {
      this.opts.log.error({ err, taskId: task?.id }, 'could not send the end of a transcription stream');
      this.end(err instanceof Error ? err : new InternalError(String(err)));
    }
  }

  private end(err: Error): void {
    this.ending = true;
    this.writeError(err);
    this.finish(false);
  }

  private writeError(err: Error): void {
    const { body } = openAiErrorBody(describeError(err));
    this.send({ type: 'error', ...(body as object) });
  }

  private send(data: object): void {
    this.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  private write(chunk: string): void {
    if (this.closed) return;
    if (this.raw.writableLength > this.opts.maxBufferedBytes) {
      this.finish(true);
      return;
    }
    this.raw.write(chunk);
  }

  private finish(abort: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    if (abort) this.raw.destroy();
    else if (!this.raw.writableEnded) this.raw.end();
    for (const fn of this.closeHandlers.splice(0)) fn();
  }
}
