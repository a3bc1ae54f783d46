import type { StreamingRecognizer, StreamingRecognizerFactory, UtteranceResult } from '../../src/engines/streaming.js';
import type { LiveOutput, LiveReport } from '../../src/live/live-messages.js';
import type { LiveSettings } from '../../src/live/live-settings.js';
import { LiveHost, type LiveHostOptions } from '../../src/live/worker/live-host.js';
import { type LiveVadLoader, loadSileroVad } from '../../src/live/worker/live-vad.js';

/**
 * A LiveHost with its reports collected per session, and waits that resolve on a report (never on
 * time): `until(id, pred)` resolves once a report matching `pred` has arrived.
 */
export class HostHarness {
  readonly host: LiveHost;
  readonly reports: LiveReport[] = [];
  private waiters: Array<{ check: () => boolean; resolve: () => void }> = [];

  constructor(opts: { recognizers: StreamingRecognizerFactory; loadVad?: LiveVadLoader; maxQueued?: number }) {
    const hostOpts: LiveHostOptions = {
      recognizers: opts.recognizers,
      loadVad: opts.loadVad ?? loadSileroVad,
      maxQueued: opts.maxQueued,
      send: (r) => {
        this.reports.push(r);
        this.waiters = this.waiters.filter((w) => {
          if (!w.check()) return true;
          w.resolve();
          return false;
        });
      },
    };
    this.host = new LiveHost(hostOpts);
  }

  outputs(sessionId: string): LiveOutput[] {
    return this.reports.filter((r) => r.sessionId === sessionId).map((r) => r.output);
  }

  /** Outputs without `consumed` and `partial` (the events a turn test is about). */
  events(sessionId: string): LiveOutput[] {
    return this.outputs(sessionId).filter((o) => o.kind !== 'consumed' && o.kind !== 'partial');
  }

  until(sessionId: string, pred: (o: LiveOutput) => boolean): Promise<void> {
    const check = () => this.outputs(sessionId).some(pred);
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ check, resolve }));
  }

  /** Resolves once `count` outputs of `kind` have arrived. */
  untilCount(sessionId: string, kind: LiveOutput['kind'], count: number): Promise<void> {
    const check = () => this.outputs(sessionId).filter((o) => o.kind === kind).length >= count;
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ check, resolve }));
  }

  open(sessionId: string, settings: LiveSettings): void {
    this.host.handle({ type: 'live.open', sessionId, settings });
  }

  /** Sends PCM16 samples as `live.audio` messages of `blockSamples` each. */
  audio(sessionId: string, pcm: Int16Array, blockSamples: number): void {
    for (let i = 0; i < pcm.length; i += blockSamples) {
      const block = pcm.slice(i, i + blockSamples);
      this.host.handle({ type: 'live.audio', sessionId, pcm: new Uint8Array(block.buffer) });
    }
  }

  async close(sessionId: string): Promise<void> {
    this.host.handle({ type: 'live.close', sessionId });
    await this.until(sessionId, (o) => o.kind === 'closed');
  }
}

export const MANUAL_16K: LiveSettings = { inputRate: 16000, language: 'en', turnDetection: null };

/** Counts release() calls of the recognizers a factory makes. */
export function countingReleases(make: StreamingRecognizerFactory): {
  factory: StreamingRecognizerFactory;
  released: () => number;
  made: () => number;
} {
  let released = 0;
  let made = 0;
  const factory = () => {
    const r = make();
    made += 1;
    const release = r.release.bind(r);
    r.release = async () => {
      released += 1;
      await release();
    };
    return r;
  };
  return { factory, released: () => released, made: () => made };
}

/**
 * Test double for queue and lifecycle mechanics only (never for recognition claims): answers
 * partials with `partialText(fedSamples)`, can hold `load` until a gate opens, fails on cue.
 */
export class ScriptedRecognizer implements StreamingRecognizer {
  readonly name = 'scripted';
  fed = 0;
  feeds: number[] = [];
  releases = 0;
  failFeed = false;
  constructor(
    private readonly opts: {
      loadGate?: Promise<void>;
      partialText?: (fedSamples: number) => string;
    } = {},
  ) {}
  async load(): Promise<void> {
    await this.opts.loadGate;
  }
  async begin(): Promise<void> {
    this.fed = 0;
  }
  async feed(pcm: Int16Array, opts: { partial: boolean }): Promise<string | null> {
    if (this.failFeed) throw new Error('decoder crashed (scripted)');
    this.fed += pcm.length;
    this.feeds.push(pcm.length);
    return opts.partial ? (this.opts.partialText?.(this.fed) ?? null) : null;
  }
  async finish(): Promise<UtteranceResult> {
    return { text: `fed ${this.fed}`, words: [] };
  }
  async abandon(): Promise<void> {
    this.fed = 0;
  }
  async release(): Promise<void> {
    this.releases += 1;
  }
}
