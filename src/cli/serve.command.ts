import { mkdir } from 'node:fs/promises';
import type { Command } from 'commander';
import { buildApp } from '../api/app.js';
import { storeUrl } from '../config/config.js';
import { createLogger } from '../core/logger.js';
import { createMediaStore } from '../storage/create-media-store.js';
import { createStore } from '../store/create-store.js';
import { Supervisor } from '../worker/supervisor.js';
import { configFrom } from './global-options.js';

/**
 * Unfinished media untouched this long, or media with no task, is an orphan. Far above the time
 * between an object's last part and its task's enqueue (milliseconds), and a write in progress
 * renews its time with every part.
 */
const ORPHAN_MEDIA_AGE_MS = 60 * 60_000;

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP API, web UI and (unless --workers 0) supervised worker processes')
    .option('--host <host>', 'listen address (EARSHOT_HOST)')
    .option('-p, --port <port>', 'listen port (EARSHOT_PORT)')
    .option('-w, --workers <n>', 'worker processes to supervise (EARSHOT_WORKERS)')
    .option('--concurrency <n>', 'engine instances per worker (EARSHOT_CONCURRENCY)')
    .option('--auth <mode>', 'token | none (EARSHOT_AUTH)')
    .action(async (opts: Record<string, string | undefined>, cmd: Command) => {
      const config = configFrom(cmd, {
        host: opts.host,
        port: opts.port,
        workers: opts.workers,
        concurrency: opts.concurrency,
        auth: opts.auth,
      });
      const log = createLogger(config.logLevel, 'earshot');
      await mkdir(config.dataDir, { recursive: true });
      const store = await createStore(storeUrl(config), { retryDelaysMs: config.retryDelaysMs, log });
      await store.migrate();
      const media = createMediaStore(config, { log });
      const supervisor = config.workers > 0 ? new Supervisor({ config, store, log, count: config.workers }) : undefined;
      const app = await buildApp({
        config,
        store,
        media,
        log,
        supervisor,
        ...(supervisor ? { liveWorkers: supervisor } : {}),
      });
      await app.listen({ host: config.host, port: config.port });
      supervisor?.start();

      // Leases of workers that died anywhere (other machines too) are reclaimed here as well as by workers.
      const sweep = setInterval(
        () => {
          store.reclaimExpired(Date.now()).catch((err: unknown) => log.warn({ err }, 'lease sweep failed'));
        },
        Math.max(1000, config.leaseMs / 2),
      );
      sweep.unref();
      // Media of uploads cut off with their server, or whose task was never enqueued (database store).
      const mediaSweep = setInterval(() => {
        media
          .sweepOrphans(Date.now() - ORPHAN_MEDIA_AGE_MS)
          .then((n) => n > 0 && log.warn({ removed: n }, 'removed media no task refers to'))
          .catch((err: unknown) => log.warn({ err }, 'media sweep failed'));
      }, ORPHAN_MEDIA_AGE_MS / 4);
      mediaSweep.unref();

      let closing = false;
      const shutdown = async (signal: string) => {
        if (closing) return;
        closing = true;
        log.info({ signal }, 'shutting down: draining workers and connections');
        clearInterval(sweep);
        clearInterval(mediaSweep);
        const hardStop = setTimeout(() => {
          log.error('shutdown deadline passed; exiting');
          process.exit(1);
        }, config.shutdownGraceMs + 15_000);
        hardStop.unref();
        await Promise.all([app.close(), supervisor?.stop(config.shutdownGraceMs)]);
        await Promise.all([store.close(), media.close()]);
        log.info('stopped');
      };
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
      process.once('SIGINT', () => void shutdown('SIGINT'));
    });
}
