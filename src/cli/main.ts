// First: a supervised worker starts watching its supervisor before anything else is loaded.
import '../worker/parent-guard.js';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, UsageError } from '../core/errors/index.js';
import { registerConfigCommand } from './config.command.js';
import { EXIT } from './exit-codes.js';
import { registerListenCommand } from './listen.command.js';
import { registerServeCommand } from './serve.command.js';
import { registerTranscribeCommand } from './transcribe.command.js';
import { registerUsersCommand } from './users.command.js';
import { registerWorkerCommand } from './worker.command.js';

const program = new Command()
  .name('earshot')
  .description('Offline transcription of long recordings: a CLI, an HTTP service and its workers.')
  .version('0.1.0')
  .addOption(new Option('--data-dir <dir>', 'data directory (EARSHOT_DATA_DIR)'))
  .addOption(new Option('--db <url>', 'task store URL (EARSHOT_DB)'))
  .addOption(new Option('--log-level <level>', 'log level (EARSHOT_LOG_LEVEL)'))
  .showHelpAfterError()
  .exitOverride();

registerTranscribeCommand(program);
registerListenCommand(program);
registerServeCommand(program);
registerWorkerCommand(program);
registerUsersCommand(program);
registerConfigCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = exitCodeFor(err);
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof ConfigError || err instanceof UsageError) {
    process.stderr.write(`earshot: ${err.message}\n`);
    return EXIT.usage;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`earshot: ${message}\n`);
  if (process.env.EARSHOT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return EXIT.failure;
}
