import { VAD_FRAME_SAMPLES as FRAME } from '../../audio/speech-segmenter.js';
import { SAMPLE_RATE } from '../../core/task.js';
import type { StreamingRecognizer, StreamingRecognizerFactory } from '../../engines/streaming.js';
import { LIVE_ERRORS, type LiveErrorCode } from '../live-errors.js';
import type { LiveCommand, LiveOutput } from '../live-messages.js';
import { type LiveSettings, MAX_TURN_SECONDS, type TurnDetection } from '../live-settings.js';
import { LiveTurn, msOf, samplesOf } from './live-turn.js';
import { isSilence, type LiveVad, type LiveVadLoader } from './live-vad.js';
import { PrefixRing } from './prefix-ring.js';
import { createResampler, type PcmResampler, pcm16FromBytes } from './resampler.js';

/**
 * Commands one session may have waiting. The API bounds its backlog far below this (it counts
 * unconsumed audio); reaching it means that bound failed, and the worker refuses to queue without
 * limit for a client it cannot keep up with.
 */
export const LIVE_QUEUE_HARD_CAP = 1000;

const MAX_TURN_SAMPLES = MAX_TURN_SECONDS * SAMPLE_RATE;
export interface LiveSessionOptions {
  settings: LiveSettings;
  /** Called once, by the session, for its own recognizer. */
  recognizers: StreamingRecognizerFactory;
  loadVad: LiveVadLoader;
  /** Receives every output in order; `closed` is the last, sent exactly once. */
  emit: (output: LiveOutput) => void;
  maxQueued?: number;
  /** Told why a session failed (the API only gets the code). */
  onFailure?: (err: unknown) => void;
}

/** A recognizer or VAD call failed: the session ends with engine_failed. */
class EngineFailure extends Error {}

async function engineCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new EngineFailure('engine call failed', { cause: err });
  }
}

/**
 * One live session inside a worker process. It owns all its state (recognizer, VAD, resampler,
 * prefix ring, turn) and runs its commands strictly in order from one bounded queue, so a
 * recognizer sees one call at a time. `close()` (or a fatal error) releases everything and emits
 * `closed` exactly once.
 */
export class LiveSession {
  private settings: LiveSettings;
  private pendingSettings: LiveSettings | null = null;
  private recognizer: StreamingRecognizer | null = null;
  private vad: LiveVad | null = null;
  private resampler: PcmResampler;
  private ring: PrefixRing;
  private readonly maxQueued: number;
  private readonly queue: Array<LiveCommand | { type: 'load' }> = [];
  private draining: Promise<void> | null = null;
  private ending = false;
  private fatalSent = false;
  private closing: Promise<void> | null = null;

  /** 16 kHz samples received since open: session time. */
  private sessionSamples = 0;
  private audioSeen = false;
  /** `live.finish` was processed: close when the queue loop ends. */
  private finishRequested = false;
  private turnCount = 0;
  private current: LiveTurn | null = null;
  /** Server VAD: received samples not yet classified (less than one frame after each message). */
  private unclassified = new Int16Array(0);
  private unclassifiedStart = 0;
  /** Server VAD: turn audio of the current message, fed in one call when the message is done. */
  private batch: Int16Array[] = [];

  constructor(private readonly opts: LiveSessionOptions) {
    this.settings = opts.settings;
    this.maxQueued = opts.maxQueued ?? LIVE_QUEUE_HARD_CAP;
    this.resampler = createResampler(opts.settings.inputRate);
    this.ring = new PrefixRing(samplesOf(opts.settings.turnDetection?.prefixPaddingMs ?? 0));
    this.push({ type: 'load' });
  }

  /** Queues a command; beyond the hard cap the session ends (internal_error). */
  enqueue(cmd: LiveCommand): void {
    if (this.ending) return;
    if (this.queue.length >= this.maxQueued) {
      void this.fail('internal_error');
      return;
    }
    this.push(cmd);
  }

  /** Ends the session with a fatal error event, then closes it. */
  fail(code: LiveErrorCode): Promise<void> {
    if (!this.ending) {
      this.ending = true;
      this.emit({ kind: 'error', code, message: LIVE_ERRORS[code].message, fatal: true });
      this.fatalSent = true;
    }
    return this.close();
  }

  /**
   * Drops queued commands, lets the one in progress finish (recognizer calls never overlap),
   * releases recognizer and VAD, and emits `closed`. Safe to call any number of times.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.ending = true;
      this.queue.length = 0;
      // The recognizer is released before the step in progress ends, not after: releasing kills
      // its process, so a model still loading or a long decode cannot hold the slot for seconds;
      // the step then fails, and the failure is ignored because the session is ending.
      const releases: Array<Promise<void>> = [];
      const releaseRecognizer = (): void => {
        if (this.recognizer) releases.push(this.recognizer.release());
        this.recognizer = null;
      };
      releaseRecognizer();
      await this.draining;
      // The step in progress may have created the recognizer after the first look.
      releaseRecognizer();
      if (this.vad) releases.push(this.vad.release());
      this.vad = null;
      this.current = null;
      this.batch = [];
      this.ring.clear();
      // A failing release must not keep `closed` from the API; the resources are gone either way.
      await Promise.allSettled(releases);
      this.opts.emit({ kind: 'closed' });
    })();
    return this.closing;
  }

  private push(step: LiveCommand | { type: 'load' }): void {
    this.queue.push(step);
    this.draining ??= this.drain();
  }

  private async drain(): Promise<void> {
    for (let step = this.queue.shift(); step !== undefined && !this.ending; step = this.queue.shift()) {
      try {
        await this.process(step);
      } catch (err) {
        // A session being closed kills its recognizer under the step in progress: not a failure.
        if (this.ending) break;
        this.opts.onFailure?.(err);
        // Not awaited: close() waits for this loop to end.
        void this.fail(err instanceof EngineFailure ? 'engine_failed' : 'internal_error');
      }
    }
    this.draining = null;
    if (this.finishRequested) void this.close();
  }

  /** After a fatal error only `closed` may follow. */
  private emit(output: LiveOutput): void {
    if (!this.fatalSent) this.opts.emit(output);
  }

  private refuse(code: LiveErrorCode): void {
    this.emit({ kind: 'error', code, message: LIVE_ERRORS[code].message, fatal: LIVE_ERRORS[code].fatal });
  }

  private async process(step: LiveCommand | { type: 'load' }): Promise<void> {
    switch (step.type) {
      case 'load': {
        const recognizer = await engineCall(async () => this.opts.recognizers());
        this.recognizer = recognizer;
        await engineCall(() => recognizer.load());
        if (this.settings.turnDetection) await this.startVad();
        return;
      }
      case 'live.audio':
        return this.onAudio(step.pcm);
      case 'live.commit':
        return this.onCommit();
      case 'live.finish':
        // The session closes once this loop ends: nothing queued after a finish is processed.
        this.finishRequested = true;
        this.ending = true;
        if (this.current) await this.onCommit();
        return;
      case 'live.clear':
        return this.onClear();
      case 'live.update':
        return this.onUpdate(step.settings);
      case 'live.open':
      case 'live.close':
        // The host creates sessions and closes them directly; neither is queued.
        return;
    }
  }

  private rec(): StreamingRecognizer {
    if (!this.recognizer) throw new Error('live session used before its recognizer loaded');
    return this.recognizer;
  }

  private async onAudio(bytes: Uint8Array): Promise<void> {
    if (bytes.byteLength % 2 !== 0) {
      this.refuse('invalid_audio');
    } else {
      const pcm = this.resampler.push(pcm16FromBytes(bytes));
      const at = this.sessionSamples;
      this.sessionSamples += pcm.length;
      this.audioSeen = true;
      if (this.settings.turnDetection) await this.detect(pcm, this.settings.turnDetection);
      else await this.feedManual(pcm, at);
      if (!this.current) await this.applyPendingSettings();
    }
    // Counted even when refused: the API's backlog must shrink by what it sent.
    this.emit({ kind: 'consumed', bytes: bytes.byteLength });
  }

  /** Manual turns: every sample is decoded; a turn opens with the first audio after a commit. */
  private async feedManual(pcm: Int16Array, at: number): Promise<void> {
    let i = 0;
    while (i < pcm.length) {
      const turn = this.current ?? (await this.openTurn(at + i, false));
      const part = pcm.subarray(i, i + (MAX_TURN_SAMPLES - turn.fed));
      await this.feedTurn(turn, part);
      i += part.length;
      if (turn.fed >= MAX_TURN_SAMPLES) await this.endTurn(at + i);
    }
  }

  /** Server VAD: classifies whole frames and opens/ends turns on them (see LIVE-SPEC.md). */
  private async detect(pcm: Int16Array, td: TurnDetection): Promise<void> {
    const vad = this.vad;
    if (!vad) throw new Error('server VAD without a VAD');
    const joined = new Int16Array(this.unclassified.length + pcm.length);
    joined.set(this.unclassified);
    joined.set(pcm, this.unclassified.length);
    const frames = await engineCall(() => vad.push(pcm));
    let offset = 0;
    for (const f of frames) {
      await this.onFrame(joined.subarray(offset, offset + FRAME), this.unclassifiedStart + offset, f.prob, td);
      offset += FRAME;
    }
    this.unclassified = joined.slice(offset);
    this.unclassifiedStart += offset;
    if (this.current) await this.flushBatch(this.current);
  }

  private async onFrame(frame: Int16Array, start: number, prob: number, td: TurnDetection): Promise<void> {
    const turn = this.current;
    if (!turn) {
      if (prob < td.threshold) {
        this.ring.push(frame);
        return;
      }
      const prefix = this.ring.take();
      const opened = await this.openTurn(start - prefix.length, true);
      this.addToBatch(opened, prefix);
      this.addToBatch(opened, frame);
      return;
    }
    if (turn.fed + FRAME > MAX_TURN_SAMPLES) {
      // The longest turn is committed here; if speech goes on, it opens the next turn at once.
      await this.flushBatch(turn);
      await this.endTurn(start);
      return this.onFrame(frame, start, prob, td);
    }
    this.addToBatch(turn, frame);
    if (prob >= td.threshold) {
      turn.silenceSince = null;
    } else if (isSilence(prob, td)) {
      turn.silenceSince ??= start;
      if (start + FRAME - turn.silenceSince >= samplesOf(td.silenceDurationMs)) {
        await this.flushBatch(turn);
        await this.endTurn(turn.silenceSince);
      }
    }
  }

  private addToBatch(turn: LiveTurn, pcm: Int16Array): void {
    if (pcm.length === 0) return;
    this.batch.push(pcm);
    turn.fed += pcm.length;
  }

  private async flushBatch(turn: LiveTurn): Promise<void> {
    if (this.batch.length === 0) return;
    const total = this.batch.reduce((n, b) => n + b.length, 0);
    const pcm = new Int16Array(total);
    let at = 0;
    for (const b of this.batch) {
      pcm.set(b, at);
      at += b.length;
    }
    this.batch = [];
    turn.fed -= total;
    await this.feedTurn(turn, pcm);
  }

  private async openTurn(startSample: number, speech: boolean): Promise<LiveTurn> {
    this.turnCount += 1;
    const turn = new LiveTurn(this.turnCount, startSample);
    this.current = turn;
    if (speech) this.emit({ kind: 'speech_started', turn: turn.turn, audioStartMs: msOf(startSample) });
    const recognizer = this.rec();
    await engineCall(() => recognizer.begin());
    return turn;
  }

  /** Feeds turn audio, asking for a partial on the cadence in LIVE-SPEC.md. */
  private async feedTurn(turn: LiveTurn, pcm: Int16Array): Promise<void> {
    if (pcm.length === 0) return;
    turn.fed += pcm.length;
    const partial = turn.partialDue();
    const recognizer = this.rec();
    const text = await engineCall(() => recognizer.feed(pcm, { partial }));
    if (!partial) return;
    const send = turn.partialToSend(text);
    if (send !== null) this.emit({ kind: 'partial', turn: turn.turn, text: send });
  }

  /** Commits the open turn, its audio ending at session sample `endSample`, and sends its result. */
  private async endTurn(endSample: number): Promise<void> {
    const turn = this.current;
    if (!turn) return;
    this.current = null;
    if (this.settings.turnDetection)
      this.emit({ kind: 'speech_stopped', turn: turn.turn, audioEndMs: msOf(endSample) });
    this.emit({ kind: 'committed', turn: turn.turn });
    const recognizer = this.rec();
    const result = await engineCall(() => recognizer.finish());
    const offset = turn.startSample / SAMPLE_RATE;
    this.emit({
      kind: 'completed',
      turn: turn.turn,
      text: result.text,
      start: offset,
      end: endSample / SAMPLE_RATE,
      words: result.words.map((w) => ({ ...w, start: w.start + offset, end: w.end + offset })),
    });
  }

  private async onCommit(): Promise<void> {
    const turn = this.current;
    if (!turn) {
      this.refuse('input_audio_buffer_commit_empty');
      return;
    }
    if (this.settings.turnDetection) {
      await this.flushBatch(turn);
      await this.endTurn(turn.startSample + turn.fed);
    } else {
      await this.endTurn(turn.startSample + turn.fed);
    }
    await this.applyPendingSettings();
  }

  private async onClear(): Promise<void> {
    if (this.current) {
      this.current = null;
      this.batch = [];
      const recognizer = this.rec();
      await engineCall(() => recognizer.abandon());
    }
    this.ring.clear();
    this.emit({ kind: 'cleared' });
    await this.applyPendingSettings();
  }

  private async onUpdate(settings: LiveSettings): Promise<void> {
    if (settings.inputRate !== this.settings.inputRate && this.audioSeen) {
      // The resampler's state and session time are tied to the rate audio arrived at.
      this.refuse('invalid_session_config');
      return;
    }
    this.pendingSettings = settings;
    if (!this.current) await this.applyPendingSettings();
  }

  /** New settings take effect between turns, never inside one. */
  private async applyPendingSettings(): Promise<void> {
    const next = this.pendingSettings;
    if (!next) return;
    this.pendingSettings = null;
    const previous = this.settings;
    this.settings = next;
    if (next.inputRate !== previous.inputRate) this.resampler = createResampler(next.inputRate);
    const kept = this.ring.take();
    this.ring = new PrefixRing(samplesOf(next.turnDetection?.prefixPaddingMs ?? 0));
    this.ring.push(kept);
    if (next.turnDetection && !this.vad) await this.startVad();
    if (!next.turnDetection && this.vad) {
      const vad = this.vad;
      this.vad = null;
      // Unclassified samples (under one frame) were outside any turn; manual turns start after them.
      this.unclassified = new Int16Array(0);
      this.ring.clear();
      await engineCall(() => vad.release());
    }
  }

  /** A fresh VAD counts frames from now, so classification restarts at the current session sample. */
  private async startVad(): Promise<void> {
    this.vad = await engineCall(() => this.opts.loadVad());
    this.unclassified = new Int16Array(0);
    this.unclassifiedStart = this.sessionSamples;
  }
}
