import type { Command } from 'commander';
import { Option } from 'commander';
import { ENGINE_NAMES, settingDefault } from '../config/config.js';
import { UsageError } from '../core/errors/index.js';
import { isOutputFormat, OUTPUT_FORMATS, type OutputFormat } from '../core/transcript.js';
import { configFrom } from './global-options.js';
import { transcribeFiles } from './transcribe-files.js';

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
    .option('-c, --concurrency <n>', 'engine instances, i.e. chunks recognised in parallel (default: CPU cores)')
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
      process.exitCode = await transcribeFiles(files, {
        formats,
        out: opts.out,
        stream: opts.stream === true,
        progress: opts.progress !== false,
        config,
      });
    });
}

function parseFormats(list: string): OutputFormat[] {
  const formats = list.split(',').map((f) => f.trim().toLowerCase());
  for (const f of formats) {
    if (!isOutputFormat(f)) throw new UsageError(`unknown format "${f}" (use ${OUTPUT_FORMATS.join(', ')})`);
  }
  return [...new Set(formats)] as OutputFormat[];
}
