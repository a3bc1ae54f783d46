/**
 * sherpa-onnx engine (Whisper / SenseVoice / Paraformer exports), run in a worker thread.
 *
 * UNVERIFIED HERE: sherpa-onnx-node is not a dependency and no model weights are available in
 * this project's build environment, so this file has never recognised speech in our tests. The
 * config shapes and calls follow sherpa-onnx's node-addon-api (lib/non-streaming-asr.js,
 * lib/types.js and nodejs-addon-examples/test_asr_non_streaming_*.js). What our tests do cover:
 * the clear error when the package is missing, and the model-directory discovery. To use it:
 * `npm install sherpa-onnx-node` and unpack a model from
 * https://github.com/k2-fsa/sherpa-onnx/releases/tag/asr-models into `modelDir`.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { EngineConfigError, EngineError, UnsupportedLanguageError } from '../../core/errors/index.js';
import { SAMPLE_RATE } from '../../core/task.js';
import type { Segment, Word } from '../../core/transcript.js';
import { abortedError, SerialQueue, throwIfAborted } from '../abort.js';
import type { Engine, RecognizeOptions } from '../engine.js';
import { type SherpaOnnxOptions, sherpaRecognizerConfig } from './sherpa-onnx.config.js';

export type { SherpaModelType, SherpaOnnxOptions } from './sherpa-onnx.config.js';

/**
 * The worker's code, as a CommonJS script evaluated by `new Worker(code, { eval: true })`: a
 * separate .ts file would need a TypeScript loader inside the worker, which neither plain Node on
 * dist/ nor Vitest gives us. It loads the addon from the path resolved in the main thread, so a
 * missing package is reported there with a readable message.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let recognizer;
try {
  const sherpa = require(workerData.modulePath);
  recognizer = new sherpa.OfflineRecognizer(workerData.config);
  parentPort.postMessage({ type: 'ready' });
} catch (err) {
  parentPort.postMessage({ type: 'error', message: String((err && err.message) || err) });
}
parentPort.on('message', (msg) => {
  try {
    const stream = recognizer.createStream();
    stream.acceptWaveform({ samples: msg.samples, sampleRate: ${SAMPLE_RATE} });
    recognizer.decode(stream);
    parentPort.postMessage({ type: 'result', id: msg.id, result: recognizer.getResult(stream) });
  } catch (err) {
    parentPort.postMessage({ type: 'error', id: msg.id, message: String((err && err.message) || err) });
  }
});
`;

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: SherpaResult }
  | { type: 'error'; id?: number; message: string };

/** The fields of OfflineRecognizerResult we use; timestamps are token start times in seconds. */
interface SherpaResult {
  text?: unknown;
  tokens?: unknown;
  timestamps?: unknown;
  ys_log_probs?: unknown;
}

export class SherpaOnnxEngine implements Engine {
  readonly name = 'sherpa-onnx';
  private readonly serial = new SerialQueue();
  private worker: Worker | null = null;
  /** Settles the call in flight: at most one, since calls are serialised. */
  private pending: { resolve: (m: WorkerMessage) => void; reject: (err: Error) => void } | null = null;
  private nextId = 1;
  private released = false;

  constructor(private readonly options: SherpaOnnxOptions) {}

  async load(): Promise<void> {
    await this.serial.run(undefined, () => this.ensureWorker(undefined));
  }

  async recognize(pcm: Int16Array, opts: RecognizeOptions): Promise<Segment[]> {
    this.checkLanguage(opts.language);
    throwIfAborted(opts.signal);
    return this.serial.run(opts.signal, async () => {
      throwIfAborted(opts.signal);
      if (pcm.length === 0) return [];
      await this.ensureWorker(opts.signal);
      const samples = new Float32Array(pcm.length);
      for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 32768;
      const seconds = pcm.length / SAMPLE_RATE;
      const id = this.nextId++;
      const timeoutMs =
        (this.options.timeoutBaseMs ?? 60_000) + seconds * (this.options.timeoutPerAudioSecondMs ?? 5_000);
      const reply = this.nextMessage(timeoutMs, opts.signal);
      this.worker?.postMessage({ type: 'decode', id, samples }, [samples.buffer]);
      const msg = await reply;
      if (msg.type !== 'result' || msg.id !== id) {
        throw this.crash(new EngineError(`sherpa-onnx failed: ${msg.type === 'error' ? msg.message : msg.type}`));
      }
      return toSegments(msg.result, seconds);
    });
  }

  async release(): Promise<void> {
    this.released = true;
    await this.stopWorker(new EngineError('sherpa-onnx engine released'));
  }

  private checkLanguage(language: string): void {
    const configured = this.options.language ?? '';
    if (sherpaAccepts(configured, language)) return;
    throw new UnsupportedLanguageError('sherpa-onnx', language, [configured.toLowerCase(), 'auto']);
  }

  private async ensureWorker(signal: AbortSignal | undefined): Promise<void> {
    if (this.released) throw new Error('sherpa-onnx engine used after release()');
    if (this.worker !== null) return;
    let modulePath: string;
    try {
      modulePath = createRequire(import.meta.url).resolve('sherpa-onnx-node');
    } catch (err) {
      throw new EngineConfigError(
        'the sherpa-onnx engine needs the sherpa-onnx-node package: run `npm install sherpa-onnx-node` and ' +
          'download a model from https://github.com/k2-fsa/sherpa-onnx/releases/tag/asr-models',
        err,
      );
    }
    const config = sherpaRecognizerConfig(this.options);
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { modulePath, config } });
    this.worker = worker;
    worker.on('message', (msg: WorkerMessage) => this.pending?.resolve(msg));
    worker.on('error', (err) => this.crash(new EngineError(`sherpa-onnx worker failed: ${err.message}`, err)));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.crash(new EngineError(`sherpa-onnx worker exited with code ${code}`));
    });
    const loadTimeoutMs = this.options.loadTimeoutMs ?? 120_000;
    const first = await this.nextMessage(loadTimeoutMs, signal);
    if (first.type !== 'ready') {
      const why = first.type === 'error' ? first.message : first.type;
      throw this.crash(
        new EngineConfigError(`sherpa-onnx could not load the model in ${this.options.modelDir}: ${why}`),
      );
    }
  }

  private nextMessage(timeoutMs: number, signal: AbortSignal | undefined): Promise<WorkerMessage> {
    return new Promise<WorkerMessage>((resolve, reject) => {
      const onAbort = (): void => {
        this.crash(abortedError(signal as AbortSignal));
      };
      const timer = setTimeout(
        () => this.crash(new EngineError(`sherpa-onnx did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending = null;
      };
      this.pending = {
        resolve: (m) => {
          settle();
          resolve(m);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Fails the call in flight and terminates the worker; the next call starts a fresh one. */
  private crash(err: Error): Error {
    void this.stopWorker(err);
    return err;
  }

  private async stopWorker(err: Error): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.pending?.reject(err);
    await worker?.terminate();
  }
}

/**
 * One segment for the chunk. Words are built from tokens where the model gives timestamps
 * (SenseVoice, Paraformer): a token starting with a space or "▁" starts a new word. Whisper gives
 * none, so its segment has text but no words. Confidence is exp(mean token log-prob) where the
 * model reports log-probs, else 1 (not reported).
 */
function toSegments(result: SherpaResult, chunkSeconds: number): Segment[] {
  const text = typeof result.text === 'string' ? result.text.trim() : '';
  if (text === '') return [];
  const tokens = Array.isArray(result.tokens) ? result.tokens : [];
  const times = Array.isArray(result.timestamps) ? result.timestamps : [];
  const logProbs = Array.isArray(result.ys_log_probs) ? result.ys_log_probs : [];
  const words: Word[] = [];
  if (tokens.length > 0 && times.length === tokens.length) {
    let current: { text: string; start: number; logProbs: number[] } | null = null;
    const flush = (end: number): void => {
      if (current === null || current.text === '') return;
      const lp = current.logProbs;
      const confidence = lp.length > 0 ? Math.exp(lp.reduce((a, b) => a + b, 0) / lp.length) : 1;
      words.push({ word: current.text, start: current.start, end: Math.max(end, current.start), confidence });
    };
    tokens.forEach((token, i) => {
      const start = Math.min(Math.max(Number(times[i]) || 0, 0), chunkSeconds);
      const piece = String(token);
      if (current === null || /^[\s\u2581]/.test(piece)) {
        flush(start);
        current = { text: '', start, logProbs: [] };
      }
      current.text += piece.replace(/[\s\u2581]/g, '');
      const lp = Number(logProbs[i]);
      if (Number.isFinite(lp)) current.logProbs.push(lp);
    });
    flush(chunkSeconds);
  }
  const clamp = (c: number): number => Math.min(Math.max(c, 0), 1);
  for (const w of words) w.confidence = clamp(w.confidence);
  const first = words[0];
  const last = words[words.length - 1];
  return [{ start: first?.start ?? 0, end: last?.end ?? chunkSeconds, text, words }];
}

/**
 * Whether a model set up for `configured` ('' = a multilingual model that detects the language)
 * answers to `language`; only the primary subtag counts ("en-GB" is "en").
 */
export function sherpaAccepts(configured: string, language: string): boolean {
  const wanted = language.toLowerCase().split(/[-_]/)[0];
  const lower = configured.toLowerCase();
  return wanted === 'auto' || lower === '' || wanted === lower;
}
