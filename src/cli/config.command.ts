import type { Command } from 'commander';
import { configToEnv, SECRET_ENV_NAMES, settingsTable } from '../config/config.js';
import { configFrom } from './global-options.js';

export function registerConfigCommand(program: Command): void {
  program
    .command('config')
    .description('print the resolved configuration (or, with --markdown, the table of every setting)')
    .option('--markdown', 'print the settings table in Markdown')
    .action((opts: { markdown?: boolean }, cmd: Command) => {
      if (opts.markdown) {
        process.stdout.write(`${settingsTable()}\n`);
        return;
      }
      const env = configToEnv(configFrom(cmd));
      for (const name of SECRET_ENV_NAMES) if (env[name]) env[name] = '***';
      for (const [k, v] of Object.entries(env)) process.stdout.write(`${k}=${v}\n`);
    });
}
