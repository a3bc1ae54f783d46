import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Config, tasksPerWorker } from '../config/config.js';
import { mapConcurrent } from '../core/async/map-concurrent.js';
import { InterruptedError } from '../core/errors/index.js';
import { createLogger, type Logger } from '../core/logger.js';
import type { OutputFormat, Transcript } from '../core/transcript.js';
import { createEngineFactory } from '../engines/create-engine.js';
import { EnginePool } from '../engines/engine-pool.js';
import { fileExtensionFor, renderTranscript } from '../formats/index.js';
import { transcribe } from '../pipeline/transcribe.js';
import { EXIT } from './exit-codes.js';
import { OrderedOutput } from './ordered-output.js';
import { createProgressView, type ProgressView } from './progress-view.js';
import { SegmentPrinter } from './segment-printer.js';

export interface TranscribeFilesOptions {
  formats: OutputFormat[];
  /** Output directory; undefined: next to each input; '-': stdout. */
  out: string | undefined;
  /** Print segments to stdout as they are recognised. */
  stream: boolean;
  progress: boolean;
  config: Config;
}

/** What one file's run leaves for the batch. */
interface FileResult {
  index: number;
  ok: boolean;
  /** What goes to stdout for this file, whole, once every earlier file's has been written. */
  stdout: string;
}

/** Everything one file's run needs from the batch. */
interface BatchContext extends TranscribeFilesOptions {
  pool: EnginePool;
  view: ProgressView | null;
  log: Logger;
  /** Writes a line to stderr without tearing the progress bar. */
  say: (line: string) => void;
  /** Prefix `--stream` lines with the file name: needed to tell files apart once several run. */
  labelStream: boolean;
}

/**
 * Transcribes `files` on one engine pool, up to `tasksPerWorker(config)` files at once, each file
 * its own share of the pool so short files keep every engine busy and a long one cannot starve the
 * rest. A file that fails is reported (`earshot: FILE: reason`) and the others go on. Returns the
 * exit code: ok, failure (some file failed) or interrupted (SIGINT/SIGTERM aborts every file in
 * flight).
 */
export async function transcribeFiles(files: string[], opts: TranscribeFilesOptions): Promise<number> {
  const { config } = opts;
  const log = createLogger(config.logLevel, 'earshot');
  const abort = new AbortController();
  const onSignal = () => abort.abort(new InterruptedError());
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const inFlight = Math.min(tasksPerWorker(config), files.length);
  // Every file in flight keeps up to `size` chunks at the pool, all but `size` of them waiting.
  const pool = new EnginePool(createEngineFactory(config), {
    size: config.concurrency,
    maxQueue: inFlight * config.concurrency,
  });
  const view = opts.progress ? createProgressView(files.length) : null;
  // Only whole outputs printed to stdout are held back for order; files written to disk, or
  // streamed line by line, need no window beyond the files in flight.
  const holds = opts.out === '-' && !opts.stream;
  const output = new OrderedOutput((text) => process.stdout.write(text), holds ? inFlight : Number.POSITIVE_INFINITY);
  const say = view ? (line: string) => view.log(line) : (line: string) => process.stderr.write(line);
  const ctx: BatchContext = { ...opts, pool, view, log, say, labelStream: files.length > 1 };
  async function* admitted() {
    for (const [index, file] of files.entries()) {
      await output.room(index, abort.signal);
      yield { index, file };
    }
  }
  let failures = 0;
  try {
    await pool.start();
    const results = mapConcurrent(admitted(), ({ index, file }, signal) => transcribeOne(index, file, ctx, signal), {
      concurrency: inFlight,
      signal: abort.signal,
    });
    for await (const result of results) {
      if (!result.ok) failures++;
      output.settle(result.index, result.stdout);
    }
    if (abort.signal.aborted) return EXIT.interrupted;
  } catch (err) {
    if (abort.signal.aborted) return EXIT.interrupted;
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    view?.close();
    await pool.close();
  }
  return failures > 0 ? EXIT.failure : EXIT.ok;
}

/** One file, start to finish; never throws, so one file's failure cannot stop the others. */
async function transcribeOne(index: number, file: string, ctx: BatchContext, signal: AbortSignal): Promise<FileResult> {
  const { config, formats, view } = ctx;
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'earshot-'));
  const progress = view?.file(path.basename(file)) ?? null;
  const prefix = ctx.labelStream ? `${file}: ` : '';
  const printer = ctx.stream ? new SegmentPrinter((line) => process.stdout.write(`${prefix}${line}`)) : null;
  try {
    const transcript = await transcribe({
      mediaPath: file,
      workDir,
      options: { language: config.language, formats, maxChunkSeconds: config.maxChunkSeconds },
      pool: ctx.pool,
      share: { key: String(index) },
      signal,
      log: ctx.log.child({ file }),
      onProgress: (p) => progress?.update(p),
      onChunk: (c) => printer?.add(c),
    });
    progress?.finish(transcript.duration);
    const stdout = await writeOutputs(index, file, transcript, ctx);
    return { index, ok: true, stdout };
  } catch (err) {
    progress?.stop();
    const message = err instanceof Error ? err.message : String(err);
    ctx.say(`earshot: ${file}: ${message}\n`);
    return { index, ok: false, stdout: '' };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Writes the file outputs, each to a temporary name then renamed, so a failed run never leaves a
 * file that looks complete; returns what goes to stdout instead with `-o -` (nothing if streamed).
 */
async function writeOutputs(index: number, input: string, transcript: Transcript, ctx: BatchContext): Promise<string> {
  let stdout = '';
  for (const format of ctx.formats) {
    const body = renderTranscript(transcript, format);
    if (ctx.out === '-') {
      if (!ctx.stream) stdout += body.endsWith('\n') ? body : `${body}\n`;
      continue;
    }
    const dir = ctx.out ?? path.dirname(input);
    const name = `${path.basename(input, path.extname(input))}.${fileExtensionFor(format)}`;
    const target = path.join(dir, name);
    // Unique per input: two inputs with one base name may be in flight at once.
    const tmp = `${target}.${process.pid}.${index}.partial`;
    await writeFile(tmp, body);
    await rename(tmp, target);
    ctx.say(`wrote ${target}\n`);
  }
  return stdout;
}
