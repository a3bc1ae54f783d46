import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { type Config, ENGINE_NAMES, settingDefault } from '../config/config.js';
import { InterruptedError, UsageError } from '../core/errors/index.js';
import { createLogger } from '../core/logger.js';
import { isOutputFormat, OUTPUT_FORMATS, type OutputFormat } from '../core/transcript.js';
import { createEngineFactory } from '../engines/create-engine.js';
import { EnginePool } from '../engines/engine-pool.js';
import { fileExtensionFor, renderTranscript } from '../formats/index.js';
import { transcribe } from '../pipeline/transcribe.js';
import { EXIT } from './exit-codes.js';
import { configFrom } from './global-options.js';
import { createProgressView } from './progress-view.js';
import { SegmentPrinter } from './segment-printer.js';

interface TranscribeOpts {
  format: string;
  out?: string;
  concurrency?: string;
  language?: string;
  maxChunkSeconds?: string;
  engine?: string;
  stream?: boolean;
  progress?: boolean;
}

export function registerTranscribeCommand(program: Command): void {
  program
    .command('transcribe')
    .description('transcribe audio/video files offline and write transcripts')
    .argument('<file...>', 'input files (anything ffmpeg reads)')
    .option('-f, --format <list>', `output formats, comma-separated: ${OUTPUT_FORMATS.join(', ')}`, 'txt')
    .option('-o, --out <dir>', 'output directory (default: next to each input); "-" prints to stdout')
    .option('-c, --concurrency <n>', 'chunks recognised in parallel (default: CPU cores)')
    .option('-l, --language <code>', `language (EARSHOT_LANGUAGE, default: ${settingDefault('language')})`)
    .option(
      '--max-chunk-seconds <s>',
      `longest chunk sent to the engine (EARSHOT_MAX_CHUNK_SECONDS, default: ${settingDefault('maxChunkSeconds')})`,
    )
    .addOption(new Option('--engine <name>', 'speech engine').choices(ENGINE_NAMES))
    .option('--stream', 'print segments to stdout as they are recognised')
    .option('--no-progress', 'no progress output')
    .action(async (files: string[], opts: TranscribeOpts, cmd: Command) => {
      const formats = parseFormats(opts.format);
      const config = configFrom(cmd, {
        concurrency: opts.concurrency,
        language: opts.language,
        maxChunkSeconds: opts.maxChunkSeconds,
        engine: opts.engine,
        logLevel: cmd.optsWithGlobals<{ logLevel?: string }>().logLevel ?? 'warn',
      });
      process.exitCode = await transcribeFiles(files, formats, opts, config);
    });
}

function parseFormats(list: string): OutputFormat[] {
  const formats = list.split(',').map((f) => f.trim().toLowerCase());
  for (const f of formats) {
    if (!isOutputFormat(f)) throw new UsageError(`unknown format "${f}" (use ${OUTPUT_FORMATS.join(', ')})`);
  }
  return [...new Set(formats)] as OutputFormat[];
}

async function transcribeFiles(
  files: string[],
  formats: OutputFormat[],
  opts: TranscribeOpts,
  config: Config,
): Promise<number> {
  const log = createLogger(config.logLevel, 'earshot');
  const abort = new AbortController();
  const onSignal = () => abort.abort(new InterruptedError());
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const pool = new EnginePool(createEngineFactory(config), { size: config.concurrency });
  let failures = 0;
  try {
    await pool.start();
    for (const file of files) {
      const ok = await transcribeOne(file, formats, opts, config, pool, abort.signal, log);
      if (!ok) failures++;
      if (abort.signal.aborted) return EXIT.interrupted;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pool.close();
  }
  return failures > 0 ? EXIT.failure : EXIT.ok;
}

async function transcribeOne(
  file: string,
  formats: OutputFormat[],
  opts: TranscribeOpts,
  config: Config,
  pool: EnginePool,
  signal: AbortSignal,
  log: ReturnType<typeof createLogger>,
): Promise<boolean> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'earshot-'));
  const view = opts.progress === false ? null : createProgressView(path.basename(file));
  const printer = opts.stream ? new SegmentPrinter((line) => process.stdout.write(line)) : null;
  try {
    const transcript = await transcribe({
      mediaPath: file,
      workDir,
      options: { language: config.language, formats, maxChunkSeconds: config.maxChunkSeconds },
      pool,
      signal,
      log,
      onProgress: (p) => view?.update(p),
      onChunk: (c) => printer?.add(c),
    });
    view?.finish(transcript.duration);
    await writeOutputs(file, transcript, formats, opts.out, !!opts.stream);
    return true;
  } catch (err) {
    view?.stop();
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`earshot: ${file}: ${message}\n`);
    return false;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Each output is written to a temporary name and renamed, so a failed run never leaves a file that looks complete. */
async function writeOutputs(
  input: string,
  transcript: Parameters<typeof renderTranscript>[0],
  formats: OutputFormat[],
  out: string | undefined,
  streamed: boolean,
): Promise<void> {
  for (const format of formats) {
    const body = renderTranscript(transcript, format);
    if (out === '-') {
      if (!streamed) process.stdout.write(body.endsWith('\n') ? body : `${body}\n`);
      continue;
    }
    const dir = out ?? path.dirname(input);
    const name = `${path.basename(input, path.extname(input))}.${fileExtensionFor(format)}`;
    const target = path.join(dir, name);
    const tmp = `${target}.${process.pid}.partial`;
    await writeFile(tmp, body);
    await rename(tmp, target);
    process.stderr.write(`wrote ${target}\n`);
  }
}
