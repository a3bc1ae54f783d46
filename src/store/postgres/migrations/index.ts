import { checkMigrations, type Migration } from '../../migration.js';
import { initial } from './0001-initial.js';
import { artifacts } from './0002-artifacts.js';
import { media } from './0003-media.js';
import { webhooks } from './0004-webhooks.js';
import { workers } from './0005-workers.js';
import { eventSequencer } from './0006-event-sequencer.js';
import { enqueueBound } from './0007-enqueue-bound.js';
import { search } from './0008-search.js';
import { transcriptRevisions } from './0009-transcript-revisions.js';
import { library } from './0010-library.js';
import { searchIncremental } from './0011-search-incremental.js';
import { claimPlan } from './0012-claim-plan.js';
import { editCost } from './0013-edit-cost.js';
import { queueDepth } from './0014-queue-depth.js';
import { artifactRevision } from './0015-artifact-revision.js';

/** PostgreSQL migrations in order. Append only. */
export const POSTGRES_MIGRATIONS: readonly Migration[] = checkMigrations([
  initial,
  artifacts,
  media,
  webhooks,
  workers,
  eventSequencer,
  enqueueBound,
  search,
  transcriptRevisions,
  library,
  searchIncremental,
  claimPlan,
  editCost,
  queueDepth,
  artifactRevision,
]);
