import { SAMPLE_RATE } from '../../core/task.js';
import type { StreamingRecognizer, UtteranceResult } from '../streaming.js';
import { type PocketSphinxOptions, type PsLaunch, resolvePsLaunch } from './pocketsphinx.options.js';
import { hypothesisText, toWords } from './pocketsphinx.words.js';
import { PS_MAX_UTTERANCE_SAMPLES, PsProcess } from './ps-process.js';

/** ps_init defaults of the streaming decoder (see the class comment for why). */
const STREAM_ARGS = ['-fwdflat', 'no'] as const;

/**
 * PocketSphinx recognising a live utterance while it arrives, in its own resident decoder process
 * (ps-server.c, streaming opcodes). Each utterance starts from the same decoder state (fresh
 * stream, the model's initial live CMN mean), so its result does not depend on earlier ones.
 *
 * Failures: a process that dies, hangs or prints garbage fails the current call with EngineError;
 * the open utterance is lost (its audio lived in the dead process), so every later feed/finish
 * rejects until the caller starts over with `begin()`, which starts a new process. `abandon()`
 * never fails on a dead process: there is nothing left to drop.
 *
 * Accuracy and latency: the decoder normalises cepstra with a mean estimated from the utterance's
 * first 0.5 s (see WARMUP_SAMPLES in ps-server.c) instead of the file engine's whole-chunk mean,
 * and runs without the second (-fwdflat) pass, which re-searches the whole utterance at its end:
 * on the LibriVox clips that pass made finish() take ~450-700 ms (it grows with the turn, up to
 * 60 s) and did not lower the WER with the warm-up CMN (31.0% with it, 28.2% without, file engine
 * 28.2%); finish() without it takes ~80 ms.
 */
export class PocketSphinxStream implements StreamingRecognizer {
  readonly name = 'pocketsphinx';
  private readonly launch: PsLaunch;
  private process: PsProcess | null = null;
  /** Samples fed to the open utterance; null when none is open. */
  private uttSamples: number | null = null;
  private released = false;

  constructor(options: PocketSphinxOptions = {}) {
    this.launch = resolvePsLaunch(options, STREAM_ARGS);
  }

  /** Process id of the running decoder, if one is running (tests kill it to simulate a crash). */
  get pid(): number | undefined {
    return this.process?.alive ? this.process.pid : undefined;
  }

  async load(): Promise<void> {
    await this.ensureProcess();
  }

  async begin(): Promise<void> {
    this.uttSamples = null;
    const proc = await this.ensureProcess();
    await proc.beginUtterance(this.timeoutMs(0));
    this.uttSamples = 0;
  }

  async feed(pcm: Int16Array, opts: { partial: boolean }): Promise<string | null> {
    const proc = this.openUtterance();
    const fed = (this.uttSamples ?? 0) + pcm.length;
    if (fed > PS_MAX_UTTERANCE_SAMPLES) {
      // Refused here rather than by the server so the utterance stays open for finish().
      throw new RangeError(`utterance of ${fed / SAMPLE_RATE} s exceeds ${PS_MAX_UTTERANCE_SAMPLES / SAMPLE_RATE} s`);
    }
    if (pcm.length === 0 && !opts.partial) return null;
    this.uttSamples = fed;
    const hyp = await proc.feedUtterance(pcm, opts.partial, this.timeoutMs(pcm.length));
    return hyp === null ? null : hypothesisText(hyp);
  }

  async finish(): Promise<UtteranceResult> {
    const proc = this.openUtterance();
    const seconds = (this.uttSamples ?? 0) / SAMPLE_RATE;
    const reply = await proc.endUtterance(this.timeoutMs(0));
    this.uttSamples = null;
    const words = toWords(reply.words, seconds);
    return { text: words.map((w) => w.word).join(' '), words };
  }

  async abandon(): Promise<void> {
    if (this.uttSamples === null) return;
    this.uttSamples = null;
    if (this.process?.alive) await this.process.abandonUtterance(this.timeoutMs(0));
  }

  async release(): Promise<void> {
    this.released = true;
    this.uttSamples = null;
    const proc = this.process;
    this.process = null;
    await proc?.stop();
  }

  /** The process of the open utterance; throws when there is none (a caller bug or a lost process). */
  private openUtterance(): PsProcess {
    if (this.released) throw new Error('pocketsphinx stream used after release()');
    if (this.uttSamples === null || this.process === null) throw new Error('no utterance is open: call begin()');
    // A dead process rejects the request with the EngineError that killed it.
    return this.process;
  }

  /** The file engine's budget: a base plus a per-second share for the audio a request carries. */
  private timeoutMs(samples: number): number {
    return this.launch.timeoutBaseMs + (samples / SAMPLE_RATE) * this.launch.timeoutPerAudioSecondMs;
  }

  private async ensureProcess(): Promise<PsProcess> {
    if (this.released) throw new Error('pocketsphinx stream used after release()');
    if (this.process?.alive) return this.process;
    this.process = null;
    this.process = await PsProcess.start(this.launch);
    return this.process;
  }
}
