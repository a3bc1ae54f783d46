import { type Config, storeUrl } from '../config/config.js';
import { ConfigError } from '../core/errors/index.js';
import { parseStoreUrl } from '../store/create-store.js';
import type { StoreLogger } from '../store/store-options.js';
import { DatabaseMediaStore } from './database.media-store.js';
import { LocalMediaStore } from './local.media-store.js';
import type { MediaStore } from './media-store.js';

/**
 * The MediaStore `EARSHOT_MEDIA_STORE` names. `database` uses the task store's PostgreSQL database
 * and schema (the same `?schema=` default as createStore), through a small pool of its own so long
 * uploads and downloads never hold the task store's connections.
 */
export function createMediaStore(
  config: Pick<Config, 'mediaStore' | 'dataDir' | 'db'>,
  opts: { log?: StoreLogger; poolSize?: number } = {},
): MediaStore {
  if (config.mediaStore === 'local') return new LocalMediaStore(config.dataDir);
  const where = parseStoreUrl(storeUrl(config));
  if (where.kind !== 'postgres') {
    throw new ConfigError('EARSHOT_MEDIA_STORE=database needs a PostgreSQL store (EARSHOT_DB=postgres://…)');
  }
  return new DatabaseMediaStore(where.connectionString, {
    dataDir: config.dataDir,
    schema: where.schema ?? 'earshot',
    ...(opts.log === undefined ? {} : { log: opts.log }),
    ...(opts.poolSize === undefined ? {} : { poolSize: opts.poolSize }),
  });
}
