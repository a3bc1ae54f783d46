import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { settingDefault } from '../../config/config.js';
import { EngineConfigError, UnsupportedLanguageError } from '../../core/errors/index.js';
import { SAMPLE_RATE } from '../../core/task.js';
import type { Segment, Word } from '../../core/transcript.js';
import { SerialQueue, throwIfAborted } from '../abort.js';
import type { Engine, RecognizeOptions } from '../engine.js';
import { PS_MAX_SAMPLES, PsProcess, type PsWord } from './ps-process.js';

/** PocketSphinx frames per second (its default -frate); dividing keeps times like 0.37 exact. */
const FRAMES_PER_SECOND = 100;

/** Codes this engine answers to; the bundled model is US English only. */
export const POCKETSPHINX_LANGUAGES = ['en', 'en-US', 'auto'] as const;

/** The three model files in a model directory laid out like Debian's pocketsphinx-en-us. */
export function pocketsphinxModelFiles(modelDir: string): { hmm: string; lm: string; dict: string } {
  return {
    hmm: join(modelDir, 'en-us'),
    lm: join(modelDir, 'en-us.lm.bin'),
    dict: join(modelDir, 'cmudict-en-us.dict'),
  };
}

export interface PocketSphinxOptions {
  /** The resident decoder binary; default `dist/native/earshot-ps-server` under the package root. */
  serverPath?: string;
  /** Where `hmm`, `lm` and `dict` are looked up. Default: the EARSHOT_POCKETSPHINX_MODEL_DIR default. */
  modelDir?: string;
  /** Acoustic model directory (-hmm). Default: `en-us/` in the model directory. */
  hmm?: string;
  /** Language model (-lm). Default: `en-us.lm.bin` in the model directory. */
  lm?: string;
  /** Pronunciation dictionary (-dict). Default: `cmudict-en-us.dict` in the model directory. */
  dict?: string;
  /** More ps_init arguments, e.g. ['-beam', '1e-60'], appended after the model paths. */
  extraArgs?: readonly string[];
  /** How long model loading may take; it is ~0.3 s on a laptop, so 30 s only trips on a hang. */
  loadTimeoutMs?: number;
  /**
   * A chunk may take this long plus `timeoutPerAudioSecondMs` per second of audio. Decoding runs at
   * ~0.2x real time, so the default 30 s + 2 s/s is ten times that with room for a busy machine.
   */
  timeoutBaseMs?: number;
  timeoutPerAudioSecondMs?: number;
}

/**
 * PocketSphinx behind a resident child process (ps-server.c): the model is loaded once per
 * instance, chunks are sent over stdin, and the decoding CPU never touches the caller's event loop.
 * A process that dies, hangs or prints garbage fails the current call with EngineError and is
 * replaced on the next call; an abort kills it the same way.
 */
export class PocketSphinxEngine implements Engine {
  readonly name = 'pocketsphinx';
  private readonly serverPath: string;
  private readonly args: string[];
  private readonly loadTimeoutMs: number;
  private readonly timeoutBaseMs: number;
  private readonly timeoutPerAudioSecondMs: number;
  private readonly serial = new SerialQueue();
  private process: PsProcess | null = null;
  private released = false;

  constructor(options: PocketSphinxOptions = {}) {
    this.serverPath = options.serverPath ?? join(packageRoot(), 'dist', 'native', 'earshot-ps-server');
    const model = pocketsphinxModelFiles(options.modelDir || settingDefault('pocketsphinxModelDir'));
    const { hmm = model.hmm, lm = model.lm, dict = model.dict } = options;
    // -logfn /dev/null: PocketSphinx logs megabytes of INFO lines per chunk on stderr.
    this.args = ['-hmm', hmm, '-lm', lm, '-dict', dict, '-logfn', '/dev/null', ...(options.extraArgs ?? [])];
    this.loadTimeoutMs = options.loadTimeoutMs ?? 30_000;
    this.timeoutBaseMs = options.timeoutBaseMs ?? 30_000;
    this.timeoutPerAudioSecondMs = options.timeoutPerAudioSecondMs ?? 2_000;
    for (const [what, path] of [
      ['decoder binary', this.serverPath],
      ['acoustic model', hmm],
      ['language model', lm],
      ['dictionary', dict],
    ] as const) {
      if (!existsSync(path)) {
        const hint = what === 'decoder binary' ? ' (build it with `bash scripts/build-native.sh`)' : '';
        throw new EngineConfigError(`pocketsphinx ${what} not found at ${path}${hint}`);
      }
    }
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
      const timeoutMs = this.timeoutBaseMs + seconds * this.timeoutPerAudioSecondMs;
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
    this.process = await PsProcess.start(this.serverPath, this.args, this.loadTimeoutMs, signal);
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

/**
 * Fillers are the decoder's bookkeeping, not speech: sentence marks (<s>, </s>), silence (<sil>),
 * noise classes ([NOISE], [SPEECH]) and the ++GARBAGE++ style of older models.
 */
function isFiller(word: string): boolean {
  return (
    (word.startsWith('<') && word.endsWith('>')) ||
    (word.startsWith('[') && word.endsWith(']')) ||
    (word.startsWith('++') && word.endsWith('++'))
  );
}

/** Turns the server's frame-indexed tokens into one segment of words timed in chunk seconds. */
export function toSegments(tokens: readonly PsWord[], chunkSeconds: number): Segment[] {
  const clampTime = (t: number): number => Math.min(Math.max(t, 0), chunkSeconds);
  const words: Word[] = [];
  for (const [raw, startFrame, endFrame, posterior] of tokens) {
    if (isFiller(raw)) continue;
    // "read(2)" is the dictionary's second pronunciation of "read"; the word is the same.
    const word = raw.replace(/\(\d+\)$/, '');
    if (word.length === 0) continue;
    words.push({
      word,
      start: clampTime(startFrame / FRAMES_PER_SECOND),
      // endFrame is the last frame of the word, inclusive.
      end: clampTime((endFrame + 1) / FRAMES_PER_SECOND),
      // The posterior is exp() of a log value and comes back as 1.0001 through rounding.
      confidence: Number.isFinite(posterior) ? Math.min(Math.max(posterior, 0), 1) : 0,
    });
  }
  const first = words[0];
  const last = words[words.length - 1];
  if (first === undefined || last === undefined) return [];
  return [{ start: first.start, end: last.end, text: words.map((w) => w.word).join(' '), words }];
}

/** The directory holding Earshot's package.json, found upwards from this file (works from src/ and dist/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new EngineConfigError('cannot find the Earshot package root from the pocketsphinx engine');
    dir = parent;
  }
}
