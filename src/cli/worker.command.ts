import type { Command } from 'commander';
import { createLogger } from '../core/logger.js';
import { runWorkerProcess } from '../worker/worker-process.js';
import { configFrom } from './global-options.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a worker: claim tasks from the store and transcribe them (SQLite file or PostgreSQL)')
    .option('--concurrency <n>', 'engine instances (chunks recognised in parallel)')
    .action(async (opts: { concurrency?: string }, cmd: Command) => {
      const config = configFrom(cmd, { concurrency: opts.concurrency });
      await runWorkerProcess(config, createLogger(config.logLevel, 'earshot-worker'));
    });
}
