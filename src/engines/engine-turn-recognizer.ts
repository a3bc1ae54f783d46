import { SAMPLE_RATE } from '../core/task.js';
import { fullText } from '../core/transcript.js';
import { MAX_TURN_SECONDS } from '../live/live-settings.js';
import type { Engine, EngineFactory } from './engine.js';
import type { StreamingRecognizer, StreamingRecognizerFactory, UtteranceResult } from './streaming.js';

const MAX_TURN_SAMPLES = MAX_TURN_SECONDS * SAMPLE_RATE;

/**
 * A StreamingRecognizer over any batch Engine: it buffers the turn's PCM and recognises it whole
 * when the turn ends. This lets every engine (sherpa-onnx offline models, OpenAI) serve live
 * sessions, at the price of latency: nothing is recognised before `finish`, so partials are always
 * null and a session over this adapter sends no deltas, only completed turns.
 *
 * The buffer is bounded by MAX_TURN_SECONDS (the session commits a turn there), so a turn holds at
 * most ~1.9 MB of PCM.
 */
export class EngineTurnRecognizer implements StreamingRecognizer {
  private chunks: Int16Array[] = [];
  private samples = 0;

  /** `language` is what the engine is asked to recognise; the API checked it against the engine. */
  constructor(
    private readonly engine: Engine,
    private readonly language: string,
  ) {}

  get name(): string {
    return this.engine.name;
  }

  load(): Promise<void> {
    return this.engine.load();
  }

  async begin(): Promise<void> {
    this.drop();
  }

  async feed(pcm: Int16Array, _opts: { partial: boolean }): Promise<string | null> {
    if (this.samples + pcm.length > MAX_TURN_SAMPLES) {
      throw new RangeError(`a turn is limited to ${MAX_TURN_SECONDS} s of audio`);
    }
    // Copied: the caller may reuse its buffer once this resolves.
    this.chunks.push(pcm.slice());
    this.samples += pcm.length;
    return null;
  }

  async finish(): Promise<UtteranceResult> {
    const pcm = new Int16Array(this.samples);
    let at = 0;
    for (const c of this.chunks) {
      pcm.set(c, at);
      at += c.length;
    }
    this.drop();
    if (pcm.length === 0) return { text: '', words: [] };
    const segments = await this.engine.recognize(pcm, { language: this.language });
    return { text: fullText(segments), words: segments.flatMap((s) => s.words) };
  }

  async abandon(): Promise<void> {
    this.drop();
  }

  async release(): Promise<void> {
    this.drop();
    await this.engine.release();
  }

  private drop(): void {
    this.chunks = [];
    this.samples = 0;
  }
}

/** Streaming recognizers that each own one engine instance from `engines`. */
export function engineTurnRecognizers(engines: EngineFactory, language: string): StreamingRecognizerFactory {
  return () => new EngineTurnRecognizer(engines(), language);
}
