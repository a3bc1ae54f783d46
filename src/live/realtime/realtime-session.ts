import { randomBytes, randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Config } from '../../config/config.js';
import type { Logger } from '../../core/logger.js';
import type { Segment } from '../../core/transcript.js';
import { LIVE_ERRORS, type LiveErrorCode } from '../live-errors.js';
import type { GatewaySession } from '../live-gateway.js';
import type { LiveCommand, LiveOutput } from '../live-messages.js';
import { DEFAULT_TURN_DETECTION, type LiveSettings } from '../live-settings.js';
import type { LiveLink, LiveWorkers } from '../live-workers.js';
import { type ClientEvent, type ClientEventError, decodeAudio, parseClientEvent } from './client-events.js';
import { DeltaTracker } from './delta-tracker.js';
import { applyBetaUpdate, applyGaUpdate, betaSessionView, gaSessionView, type SessionFacts } from './session-config.js';

/** Keeps a session's audio and turns when the client asked to save it (src/live/session-recording.ts). */
export interface SessionRecorder {
  write(pcm: Buffer): void;
  /** Bytes accepted but not yet on disk; counted in the backlog that pauses reading. */
  readonly pendingBytes: number;
  addTurn(segment: Segment): void;
  /** Ends the recording and stores it as a task; its id, or null when nothing was recorded. */
  finish(): Promise<string | null>;
}

export interface RealtimeSessionDeps {
  socket: WebSocket;
  config: Config;
  log: Logger;
  workers: LiveWorkers;
  /** Takes the gateway slot; the session ends at once with the returned code when refused. */
  admit(session: GatewaySession): LiveErrorCode | null;
  release(session: GatewaySession): void;
  /** Whether the engine can recognise a language (the same rule uploads use). */
  acceptsLanguage(language: string): boolean;
  /** Engine name, reported as the transcription model. */
  model: string;
  /** A recorder when the session is to be saved as a task; made with the input rate once audio starts. */
  recorder: ((sampleRate: number) => Promise<SessionRecorder>) | null;
}

const BYTES_PER_SAMPLE = 2;

/**
 * One client's live session, on the API process side: speaks the OpenAI Realtime protocol over
 * the socket, forwards audio and commands to the worker that recognises it, and maps the worker's
 * output back to protocol events. It owns all of the session's state (settings, timers, backlog
 * count, delta state, recorder); nothing outlives it.
 *
 * Memory is bounded on every path: a message larger than `liveMaxMessageBytes` is refused (ws
 * itself closes the socket at twice that, before buffering it); audio sent but not yet recognised
 * is capped at `liveMaxBufferedSeconds` by pausing the socket (TCP then slows the client down);
 * events queued for a client that does not read are capped at `liveMaxOutgoingBytes`.
 */
export class RealtimeSession implements GatewaySession {
  private readonly id = `sess_${randomBytes(9).toString('base64url')}`;
  private readonly facts: SessionFacts;
  private settings: LiveSettings;
  private link: LiveLink | null = null;
  private readonly deltas = new DeltaTracker();
  private lastCommittedItem: string | null = null;
  /** Audio bytes sent to the worker and not yet reported consumed. */
  private backlog = 0;
  private receivedBytes = 0;
  private paused = false;
  private finishing = false;
  private ended = false;
  private workerClosed = false;
  private recorder: SessionRecorder | null = null;
  private recorderOpening: Promise<SessionRecorder> | null = null;
  private readonly idleTimer: NodeJS.Timeout;
  private readonly expiryTimer: NodeJS.Timeout;
  private killTimer: NodeJS.Timeout | null = null;
  /** While paused: re-checks the backlog, since a recorder draining to disk sends no event. */
  private resumeCheck: NodeJS.Timeout | null = null;

  constructor(private readonly deps: RealtimeSessionDeps) {
    const { config } = deps;
    // OpenAI's defaults for a transcription session: 24 kHz PCM16, server VAD.
    this.settings = { inputRate: 24000, language: config.language, turnDetection: { ...DEFAULT_TURN_DETECTION } };
    this.facts = {
      id: this.id,
      model: deps.model,
      expiresAt: Math.floor(Date.now() / 1000) + config.liveMaxSessionSeconds,
    };
    this.idleTimer = setTimeout(() => {
      // While the server itself stopped reading (backpressure), the client's silence is ours.
      if (this.paused) this.idleTimer.refresh();
      else this.fail('idle_timeout');
    }, config.liveIdleTimeoutSeconds * 1000);
    this.expiryTimer = setTimeout(() => this.fail('session_expired'), config.liveMaxSessionSeconds * 1000);
  }

  get sessionId(): string {
    return this.id;
  }

  /** The id the session gets as a task when it is saved. */
  readonly taskId = randomUUID();

  get bufferedBytes(): number {
    return this.backlog;
  }

  /** The recognition language now in effect. */
  get language(): string {
    return this.settings.language;
  }

  /** Admits and opens the session; refused sessions get their error event and are closed. */
  start(): void {
    const { socket } = this.deps;
    socket.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    socket.on('close', () => this.onSocketClosed());
    socket.on('error', (err) => this.deps.log.debug({ err, session: this.id }, 'live socket error'));
    const refused = this.deps.admit(this);
    if (refused !== null) {
      this.end(refused);
      return;
    }
    this.link = this.deps.workers.openLive(this.id, this.settings, (o) => this.onOutput(o));
    if (this.link === null) {
      this.workerClosed = true;
      this.end('no_live_capacity');
      return;
    }
    this.deps.log.info({ session: this.id, worker: this.link.workerId }, 'live session opened');
    this.emit({ type: 'session.created', session: gaSessionView(this.settings, this.facts) });
  }

  /** Ends the session with a fatal error: error event, close code, worker told to stop. */
  fail(code: LiveErrorCode, message?: string): void {
    this.end(code, message);
  }

  // --- client → server ---

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.ended) return;
    this.idleTimer.refresh();
    if (isBinary) {
      this.refuse({ code: 'binary_message', message: LIVE_ERRORS.binary_message.message });
      return;
    }
    if (data.length > this.deps.config.liveMaxMessageBytes) {
      this.refuse({
        code: 'message_too_large',
        message: `the message has ${data.length} bytes; the limit is ${this.deps.config.liveMaxMessageBytes}`,
      });
      return;
    }
    const parsed = parseClientEvent(data.toString('utf8'));
    if ('error' in parsed) {
      this.refuse(parsed.error);
      return;
    }
    if (this.finishing) {
      this.refuse({ code: 'invalid_event', message: 'the session is finishing; no more events are accepted' });
      return;
    }
    this.dispatch(parsed.event);
  }

  private dispatch(event: ClientEvent): void {
    const eventId = event.event_id ?? null;
    switch (event.type) {
      case 'session.update':
      case 'transcription_session.update': {
        const applied =
          event.type === 'session.update'
            ? applyGaUpdate(this.settings, event.session, this.deps.acceptsLanguage)
            : applyBetaUpdate(this.settings, event.session, this.deps.acceptsLanguage);
        if ('error' in applied) {
          this.refuse({ ...applied.error, eventId });
          return;
        }
        if (applied.settings.inputRate !== this.settings.inputRate && this.receivedBytes > 0) {
          this.refuse({
            code: 'invalid_session_config',
            message: 'the input sample rate cannot change once audio was sent',
            param: 'session.audio.input.format.rate',
            eventId,
          });
          return;
        }
        this.settings = applied.settings;
        this.send({ type: 'live.update', sessionId: this.id, settings: this.settings });
        if (event.type === 'session.update') {
          this.emit({ type: 'session.updated', session: gaSessionView(this.settings, this.facts) });
        } else {
          this.emit({ type: 'transcription_session.updated', session: betaSessionView(this.settings, this.facts) });
        }
        return;
      }
      case 'input_audio_buffer.append': {
        const pcm = decodeAudio(event.audio);
        if (pcm === null) {
          this.refuse({
            code: 'invalid_audio',
            message: LIVE_ERRORS.invalid_audio.message,
            param: 'audio',
            eventId,
          });
          return;
        }
        if (pcm.length === 0) return;
        this.receivedBytes += pcm.length;
        this.backlog += pcm.length;
        this.record(pcm);
        this.send({ type: 'live.audio', sessionId: this.id, pcm });
        this.applyBackpressure();
        return;
      }
      case 'input_audio_buffer.commit':
        this.send({ type: 'live.commit', sessionId: this.id });
        return;
      case 'input_audio_buffer.clear':
        this.send({ type: 'live.clear', sessionId: this.id });
        return;
      case 'earshot.session.finish':
        // The worker runs commands in order: every earlier turn's result and the last turn's
        // arrive before `closed`, which is when the session is saved and the socket closed.
        this.finishing = true;
        this.send({ type: 'live.finish', sessionId: this.id });
        return;
    }
  }

  private record(pcm: Buffer): void {
    const make = this.deps.recorder;
    if (make === null) return;
    if (this.recorder !== null) {
      this.recorder.write(pcm);
      return;
    }
    // The first audio fixes the rate; audio arriving while the file opens is written in order.
    const copy = Buffer.from(pcm);
    if (this.recorderOpening === null) {
      this.recorderOpening = make(this.settings.inputRate).then((r) => {
        this.recorder = r;
        return r;
      });
      // Logged once; the session goes on without a recording (its transcript still reaches the client).
      this.recorderOpening.catch((err: unknown) =>
        this.deps.log.error({ err, session: this.id }, 'cannot record the live session'),
      );
    }
    this.recorderOpening.then(
      (r) => r.write(copy),
      () => {},
    );
  }

  /** Pauses reading while too much audio waits to be recognised or written; resumes at half. */
  private applyBackpressure(): void {
    const { socket, config } = this.deps;
    const limit = config.liveMaxBufferedSeconds * this.settings.inputRate * BYTES_PER_SAMPLE;
    const pending = this.backlog + (this.recorder?.pendingBytes ?? 0);
    if (!this.paused && pending > limit) {
      this.paused = true;
      socket.pause();
      this.resumeCheck = setInterval(() => this.applyBackpressure(), 100);
    } else if (this.paused && pending <= limit / 2) {
      this.paused = false;
      this.idleTimer.refresh();
      if (this.resumeCheck !== null) clearInterval(this.resumeCheck);
      this.resumeCheck = null;
      if (!this.ended) socket.resume();
    }
  }

  // --- worker → client ---

  private onOutput(output: LiveOutput): void {
    switch (output.kind) {
      case 'consumed':
        this.backlog = Math.max(0, this.backlog - output.bytes);
        this.applyBackpressure();
        return;
      case 'speech_started':
        this.emit({
          type: 'input_audio_buffer.speech_started',
          audio_start_ms: output.audioStartMs,
          item_id: this.itemId(output.turn),
        });
        return;
      case 'speech_stopped':
        this.emit({
          type: 'input_audio_buffer.speech_stopped',
          audio_end_ms: output.audioEndMs,
          item_id: this.itemId(output.turn),
        });
        return;
      case 'committed': {
        const item = this.itemId(output.turn);
        this.emit({ type: 'input_audio_buffer.committed', previous_item_id: this.lastCommittedItem, item_id: item });
        this.lastCommittedItem = item;
        return;
      }
      case 'cleared':
        this.emit({ type: 'input_audio_buffer.cleared' });
        return;
      case 'partial':
        this.emit({
          type: 'conversation.item.input_audio_transcription.delta',
          item_id: this.itemId(output.turn),
          content_index: 0,
          delta: this.deltas.next(output.turn, output.text),
          // Earshot: the whole current hypothesis, for clients that show a live line.
          partial: output.text,
        });
        return;
      case 'completed': {
        const segment: Segment = { start: output.start, end: output.end, text: output.text, words: output.words };
        this.recorder?.addTurn(segment);
        this.emit({
          type: 'conversation.item.input_audio_transcription.completed',
          item_id: this.itemId(output.turn),
          content_index: 0,
          transcript: output.text,
          usage: { type: 'duration', seconds: round3(output.end - output.start) },
          logprobs: null,
          // Earshot: the turn in session time and its words.
          start: output.start,
          end: output.end,
          words: output.words,
        });
        return;
      }
      case 'error':
        if (output.fatal) {
          this.end(output.code, output.message);
          return;
        }
        this.refuse({ code: output.code, message: output.message });
        return;
      case 'closed':
        this.workerClosed = true;
        void this.afterWorkerClosed();
        return;
    }
  }

  private async afterWorkerClosed(): Promise<void> {
    let taskId: string | null = null;
    const recorder = this.recorder ?? (await this.recorderOpening?.catch(() => null)) ?? null;
    if (recorder !== null) {
      taskId = await recorder.finish().catch((err: unknown) => {
        this.deps.log.error({ err, session: this.id }, 'could not save the live session');
        return null;
      });
    }
    if (this.finishing && !this.ended) {
      this.emit({ type: 'earshot.session.finished', task_id: taskId });
      this.ended = true;
      this.deps.socket.close(1000, 'session finished');
    }
    this.cleanup();
  }

  // --- ending ---

  /** Client went away: the worker is told to stop; the slot is given back when it has. */
  private onSocketClosed(): void {
    if (!this.ended) {
      this.ended = true;
      this.send({ type: 'live.close', sessionId: this.id });
    }
    if (this.workerClosed) this.cleanup();
  }

  private end(code: LiveErrorCode, message?: string): void {
    if (this.ended) return;
    this.ended = true;
    const spec = LIVE_ERRORS[code];
    this.emitError({ code, message: message ?? spec.message }, true);
    const closeCode = 'closeCode' in spec ? spec.closeCode : 1008;
    this.deps.socket.close(closeCode, code);
    // A client that does not read never completes the close handshake; do not wait for it.
    this.killTimer = setTimeout(() => this.deps.socket.terminate(), 1000);
    this.killTimer.unref();
    this.send({ type: 'live.close', sessionId: this.id });
    if (this.link === null || this.workerClosed) this.cleanup();
  }

  private cleanup(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.expiryTimer);
    if (this.resumeCheck !== null) clearInterval(this.resumeCheck);
    this.resumeCheck = null;
    this.deps.release(this);
  }

  // --- sending ---

  private send(command: LiveCommand): void {
    if (!this.workerClosed) this.link?.send(command);
  }

  private refuse(error: Omit<ClientEventError, 'param' | 'eventId'> & Partial<ClientEventError>): void {
    this.emitError(error);
  }

  private emitError(
    error: Omit<ClientEventError, 'param' | 'eventId'> & Partial<ClientEventError>,
    force = false,
  ): void {
    this.emit(
      {
        type: 'error',
        error: {
          type: 'invalid_request_error',
          code: error.code,
          message: error.message,
          param: error.param ?? null,
          event_id: error.eventId ?? null,
        },
      },
      force,
    );
  }

  /** Sends an event; `force` skips the outgoing bound (the last error before closing). */
  private emit(event: { type: string; [key: string]: unknown }, force = false): void {
    const { socket, config } = this.deps;
    if (socket.readyState !== socket.OPEN) return;
    if (!force && socket.bufferedAmount > config.liveMaxOutgoingBytes) {
      this.end('slow_consumer');
      return;
    }
    socket.send(JSON.stringify({ event_id: `event_${randomBytes(9).toString('base64url')}`, ...event }));
  }

  private itemId(turn: number): string {
    return `item_${this.id.slice(5)}_${turn}`;
  }
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;
