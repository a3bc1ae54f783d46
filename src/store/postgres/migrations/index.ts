import { checkMigrations, type Migration } from '../../migration.js';
import { initial } from './0001-initial.js';
import { artifacts } from './0002-artifacts.js';
import { media } from './0003-media.js';

/** PostgreSQL migrations in order. Append only. */
export const POSTGRES_MIGRATIONS: readonly Migration[] = checkMigrations([initial, artifacts, media]);
