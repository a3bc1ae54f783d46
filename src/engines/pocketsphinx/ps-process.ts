import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { EngineConfigError, EngineError } from '../../core/errors/index.js';
import { MAX_TURN_SECONDS } from '../../live/live-settings.js';
import { abortedError } from '../abort.js';
import { LineReader } from './line-reader.js';
import type { PsLaunch } from './pocketsphinx.options.js';

/**
 * Largest request the server accepts (MAX_SAMPLES in ps-server.c: 10 minutes at 16 kHz). A bigger
 * length prefix makes the server exit, so the engine refuses such chunks before sending them.
 */
export const PS_MAX_SAMPLES = 16000 * 600;

/**
 * Longest streaming utterance the server accepts (MAX_UTT_SAMPLES in ps-server.c): a live turn is
 * committed at MAX_TURN_SECONDS, so more is a caller bug.
 */
export const PS_MAX_UTTERANCE_SAMPLES = 16000 * MAX_TURN_SECONDS;

/** Request opcodes: the top byte of the length prefix (see ps-server.c). */
const Op = { chunk: 0, begin: 1, feed: 2, partial: 3, end: 4, abandon: 5 } as const;
type OpCode = (typeof Op)[keyof typeof Op];

/**
 * Longest stdout line we buffer. A reply carries at most one word per 3 frames (the shortest HMM)
 * of a 10-minute chunk, ~20 000 words of ~40 bytes: under 1 MB, so 4 MiB only trips on garbage.
 */
const MAX_LINE_BYTES = 4 * 1024 * 1024;

/** Last bytes of stderr kept for error messages (the server logs to /dev/null; stderr is its own complaints). */
const STDERR_TAIL_BYTES = 2048;

/** One recognised token as the server reports it: word, first frame, last frame (inclusive), posterior. */
export type PsWord = [word: string, startFrame: number, endFrame: number, posterior: number];

export interface PsReply {
  words: PsWord[];
  frames: number;
}

/**
 * One running earshot-ps-server child and its line protocol (see ps-server.c). It is single-use:
 * the first failure (exit, garbage, timeout, abort) kills it and every later call rejects with
 * that failure, so the owner only has to check `alive` and start a new one.
 */
export class PsProcess {
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private waiter: { resolve: (line: string) => void; reject: (err: Error) => void } | null = null;
  private failure: Error | null = null;
  private stderrTail = '';

  private constructor(serverPath: string, args: readonly string[], cpuPriority: number | undefined) {
    // Its parent's pid lets the server notice, before loading the model, that this process already died.
    this.child = spawn(serverPath, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, EARSHOT_PARENT_PID: String(process.pid) },
    });
    if (cpuPriority !== undefined && this.child.pid !== undefined) {
      // Set while the model loads, before any decoding: the whole life of the process runs at it.
      try {
        setPriority(this.child.pid, cpuPriority);
      } catch (err) {
        this.fail(new EngineConfigError(`cannot give pocketsphinx CPU priority ${cpuPriority}: ${String(err)}`));
      }
    }
    const lines = new LineReader(
      MAX_LINE_BYTES,
      (line) => this.onLine(line),
      () => this.fail(new EngineError(`pocketsphinx printed a line longer than ${MAX_LINE_BYTES} bytes`)),
    );
    this.child.stdout.on('data', (chunk: Buffer) => lines.push(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    // EPIPE after the child died: the 'exit' handler reports the death with its status.
    this.child.stdin.on('error', () => {});
    this.child.on('error', (err) => this.fail(new EngineError(`cannot run ${serverPath}: ${err.message}`, err)));
    this.child.on('exit', (code, signal) => {
      const how = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
      const detail = this.stderrTail.trim();
      this.fail(new EngineError(`pocketsphinx process ${how}${detail ? `: ${detail}` : ''}`));
    });
  }

  /**
   * Spawns the server and resolves once it printed its ready line, i.e. the model is loaded.
   * Rejects with EngineError on a failed start, a wrong first line or `timeoutMs` without it, and
   * with AbortedError if `signal` fires; the child is killed in every one of those cases.
   */
  static async start(
    launch: Pick<PsLaunch, 'serverPath' | 'args' | 'loadTimeoutMs' | 'cpuPriority'>,
    signal?: AbortSignal,
  ): Promise<PsProcess> {
    const proc = new PsProcess(launch.serverPath, launch.args, launch.cpuPriority);
    const timeoutMs = launch.loadTimeoutMs;
    const line = await proc.nextLine(timeoutMs, signal, `did not load its model within ${timeoutMs} ms`);
    if (line !== '{"ready":true}') {
      const err = new EngineError(`pocketsphinx started with an unexpected line: ${line.slice(0, 200)}`);
      proc.fail(err);
      throw err;
    }
    return proc;
  }

  /** OS process id of the child (tests kill it to simulate a crash). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** False once the process failed or was killed; a dead process is never reused. */
  get alive(): boolean {
    return this.failure === null;
  }

  /**
   * Recognises one chunk. Rejects with EngineError if the process dies, answers garbage or takes
   * longer than `timeoutMs`, and with AbortedError when `signal` fires; all of these kill it.
   */
  async recognize(pcm: Int16Array, timeoutMs: number, signal?: AbortSignal): Promise<PsReply> {
    if (pcm.length === 0 || pcm.length > PS_MAX_SAMPLES) {
      // 0 is the protocol's exit request; the engine never sends either.
      throw new RangeError(`chunk of ${pcm.length} samples is outside 1..${PS_MAX_SAMPLES}`);
    }
    return this.wordsReply(await this.request(Op.chunk, pcm, timeoutMs, signal));
  }

  /** Starts a streaming utterance from a fresh decoder state, dropping one left open. */
  async beginUtterance(timeoutMs: number): Promise<void> {
    this.okReply(await this.request(Op.begin, null, timeoutMs));
  }

  /**
   * Feeds audio of the open utterance; with `partial` resolves with the raw best hypothesis so far
   * (decoder tokens, fillers included), otherwise with null. `pcm` may be empty only with `partial`.
   * Rejects with EngineError if the server refuses (no utterance open, over PS_MAX_UTTERANCE_SAMPLES:
   * the process stays usable) or fails (it is killed).
   */
  async feedUtterance(pcm: Int16Array, partial: boolean, timeoutMs: number): Promise<string | null> {
    if (pcm.length > PS_MAX_SAMPLES || (pcm.length === 0 && !partial)) {
      throw new RangeError(`feed of ${pcm.length} samples is outside ${partial ? 0 : 1}..${PS_MAX_SAMPLES}`);
    }
    const line = await this.request(partial ? Op.partial : Op.feed, pcm, timeoutMs);
    if (!partial) {
      this.okReply(line);
      return null;
    }
    const value = this.parseObject(line);
    if (typeof value.partial === 'string') return value.partial;
    this.refusal(line);
    throw this.garbage(line);
  }

  /** Ends the open utterance; its words are framed from its first sample. */
  async endUtterance(timeoutMs: number): Promise<PsReply> {
    return this.wordsReply(await this.request(Op.end, null, timeoutMs));
  }

  /** Drops the open utterance, if any. */
  async abandonUtterance(timeoutMs: number): Promise<void> {
    this.okReply(await this.request(Op.abandon, null, timeoutMs));
  }

  /** Sends one request and waits for its one reply line. */
  private async request(op: OpCode, pcm: Int16Array | null, timeoutMs: number, signal?: AbortSignal): Promise<string> {
    const samples = pcm?.length ?? 0;
    const header = Buffer.alloc(4);
    // The count fits in the low 24 bits: PS_MAX_SAMPLES < 2^24.
    header.writeUInt32LE(((op << 24) | samples) >>> 0);
    const reply = this.nextLine(timeoutMs, signal, `did not answer within ${timeoutMs} ms`);
    if (this.failure === null) {
      this.child.stdin.write(header);
      // The server reads little-endian int16; Int16Array is host order, which is little-endian on
      // every platform Node supports for this (x64, arm64).
      if (pcm !== null && samples > 0) this.child.stdin.write(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
    }
    return reply;
  }

  private wordsReply(line: string): PsReply {
    const parsed = parseReply(line);
    if (parsed !== null) return parsed;
    this.refusal(line);
    throw this.garbage(line);
  }

  private okReply(line: string): void {
    if (line === '{"ok":true}') return;
    this.refusal(line);
    throw this.garbage(line);
  }

  /** Throws the server's {"error": ...} refusal as EngineError, leaving the process running. */
  private refusal(line: string): void {
    const value = this.parseObject(line);
    if (typeof value.error === 'string') throw new EngineError(`pocketsphinx refused: ${value.error}`);
  }

  private parseObject(line: string): Record<string, unknown> {
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
    } catch {
      // Reported as garbage below.
    }
    throw this.garbage(line);
  }

  /** Kills the process (it no longer speaks the protocol) and returns the error to throw. */
  private garbage(line: string): EngineError {
    const err = new EngineError(`pocketsphinx answered garbage: ${line.slice(0, 200)}`);
    this.fail(err);
    return err;
  }

  /** Asks the server to exit (zero-length request) and waits for it, using SIGKILL after `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.child.pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    // A request in flight is abandoned rather than waited for: stopping means the answer is unwanted.
    if (this.waiter !== null) this.fail(new EngineError('pocketsphinx engine released during a request'));
    if (this.alive) this.child.stdin.end(Buffer.alloc(4));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Kills the process now; any request in flight rejects with `err`. */
  kill(err: Error): void {
    this.fail(err);
  }

  private nextLine(timeoutMs: number, signal: AbortSignal | undefined, timeoutText: string): Promise<string> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (signal?.aborted) {
      const err = abortedError(signal);
      this.fail(err);
      return Promise.reject(err);
    }
    return new Promise<string>((resolve, reject) => {
      const onAbort = (): void => this.fail(abortedError(signal as AbortSignal));
      const timer = setTimeout(() => this.fail(new EngineError(`pocketsphinx ${timeoutText}`)), timeoutMs);
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiter = null;
      };
      this.waiter = {
        resolve: (line) => {
          settle();
          resolve(line);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private onLine(line: string): void {
    if (this.waiter === null) {
      // Output nobody asked for means the process and we disagree about the protocol state.
      this.fail(new EngineError(`pocketsphinx printed an unexpected line: ${line.slice(0, 200)}`));
      return;
    }
    this.waiter.resolve(line);
  }

  private fail(err: Error): void {
    if (this.failure !== null) return;
    this.failure = err;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    this.waiter?.reject(err);
  }
}

/** Validates a reply line; null if it is not exactly the documented shape. */
function parseReply(line: string): PsReply | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { words, frames } = value as { words?: unknown; frames?: unknown };
  if (!Array.isArray(words) || typeof frames !== 'number' || !Number.isInteger(frames) || frames < 0) return null;
  for (const w of words) {
    if (
      !Array.isArray(w) ||
      w.length !== 4 ||
      typeof w[0] !== 'string' ||
      !Number.isInteger(w[1]) ||
      !Number.isInteger(w[2]) ||
      typeof w[3] !== 'number'
    ) {
      return null;
    }
  }
  return { words: words as PsWord[], frames };
}
