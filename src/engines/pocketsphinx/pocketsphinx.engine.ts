import { EngineConfigError, UnsupportedLanguageError } from '../../core/errors/index.js';
import { SAMPLE_RATE } from '../../core/task.js';
import type { Segment } from '../../core/transcript.js';
import { SerialQueue, throwIfAborted } from '../abort.js';
import type { Engine, RecognizeOptions } from '../engine.js';
import { type PocketSphinxOptions, type PsLaunch, resolvePsLaunch } from './pocketsphinx.options.js';
import { toSegments } from './pocketsphinx.words.js';
import { PS_MAX_SAMPLES, PsProcess } from './ps-process.js';

/** Codes this engine answers to; the bundled model is US English only. */
export const POCKETSPHINX_LANGUAGES = ['en', 'en-US', 'auto'] as const;

/**
 * PocketSphinx behind a resident child process (ps-server.c): the model is loaded once per
 * instance, chunks are sent over stdin, and the decoding CPU never touches the caller's event loop.
 * A process that dies, hangs or prints garbage fails the current call with EngineError and is
 * replaced on the next call; an abort kills it the same way.
 */
export class PocketSphinxEngine implements Engine {
  readonly name = 'pocketsphinx';
  private readonly launch: PsLaunch;
  private readonly serial = new SerialQueue();
  private process: PsProcess | null = null;
  private released = false;

  constructor(options: PocketSphinxOptions = {}) {
    this.launch = resolvePsLaunch(options);
  }

  /** Process id of the running decoder, if one is running (tests use it to kill and to check reuse). */
  get pid(): number | undefined {
    return this.process?.alive ? this.process.pid : undefined;
  }

  async load(): Promise<void> {
    await this.serial.run(undefined, () => this.ensureProcess(undefined));
  }

  async recognize(pcm: Int16Array, opts: RecognizeOptions): Promise<Segment[]> {
    checkLanguage(opts.language);
    if (pcm.length > PS_MAX_SAMPLES) {
      throw new EngineConfigError(`chunk of ${pcm.length / SAMPLE_RATE} s exceeds pocketsphinx's 600 s limit`);
    }
    throwIfAborted(opts.signal);
    return this.serial.run(opts.signal, async () => {
      throwIfAborted(opts.signal);
      if (pcm.length === 0) return [];
      const proc = await this.ensureProcess(opts.signal);
      const seconds = pcm.length / SAMPLE_RATE;
      const timeoutMs = this.launch.timeoutBaseMs + seconds * this.launch.timeoutPerAudioSecondMs;
      const reply = await proc.recognize(pcm, timeoutMs, opts.signal);
      return toSegments(reply.words, seconds);
    });
  }

  async release(): Promise<void> {
    this.released = true;
    const proc = this.process;
    this.process = null;
    await proc?.stop();
  }

  private async ensureProcess(signal: AbortSignal | undefined): Promise<PsProcess> {
    if (this.released) throw new Error('pocketsphinx engine used after release()');
    if (this.process?.alive) return this.process;
    this.process = null;
    this.process = await PsProcess.start(this.launch, signal);
    return this.process;
  }
}

/** Whether the bundled US English model answers to `language` (the API checks this at upload too). */
export function pocketsphinxAccepts(language: string): boolean {
  const lower = language.toLowerCase().replace('_', '-');
  return lower === 'en' || lower === 'en-us' || lower === 'auto';
}

function checkLanguage(language: string): void {
  if (!pocketsphinxAccepts(language)) {
    throw new UnsupportedLanguageError('pocketsphinx', language, POCKETSPHINX_LANGUAGES);
  }
}
