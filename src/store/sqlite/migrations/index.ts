import { checkMigrations, type Migration } from '../../migration.js';
import { initial } from './0001-initial.js';
import { artifacts } from './0002-artifacts.js';
import { webhooks } from './0004-webhooks.js';
import { workers } from './0005-workers.js';
import { search } from './0006-search.js';
import { transcriptRevisions } from './0007-transcript-revisions.js';
import { library } from './0008-library.js';
import { searchIncremental } from './0009-search-incremental.js';
import { editReindex } from './0010-edit-reindex.js';
import { artifactRevision } from './0011-artifact-revision.js';
import { taskCounts } from './0012-task-counts.js';

/** SQLite migrations in order. Append only. */
export const SQLITE_MIGRATIONS: readonly Migration[] = checkMigrations([
  initial,
  artifacts,
  webhooks,
  workers,
  search,
  transcriptRevisions,
  library,
  searchIncremental,
  editReindex,
  artifactRevision,
  taskCounts,
]);
