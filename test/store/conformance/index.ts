/**
 * The TaskStore contract, run against every adapter for real: one module per area, all sharing the
 * per-test context from context.ts and the fixtures from fixtures.ts.
 */
import { describe } from 'vitest';
import { addFinishedConformance } from './add-finished.js';
import { artifactsConformance } from './artifacts.js';
import { claimConformance } from './claim.js';
import { claimNextConformance } from './claim-next.js';
import { type ConformanceTarget, useConformanceContext } from './context.js';
import { enqueueConformance } from './enqueue.js';
import { eventsConformance } from './events.js';
import { leasesConformance } from './leases.js';
import { libraryConformance } from './library.js';
import { migrationsUsersConformance } from './migrations-users.js';
import { planCheckpointsConformance } from './plan-checkpoints.js';
import { revisionCacheConformance } from './revision-cache.js';
import { revisionsConformance } from './revisions.js';
import { searchConformance } from './search.js';
import { userTransitionsConformance } from './user-transitions.js';
import { webhooksConformance } from './webhooks.js';
import { workerRegistryConformance } from './worker-registry.js';
import { workerTransitionsConformance } from './worker-transitions.js';

export type { ConformanceTarget, OpenStore } from './context.js';

/** The TaskStore contract, run against every adapter for real. */
export function taskStoreConformance(name: string, target: ConformanceTarget): void {
  describe(`TaskStore conformance: ${name}`, () => {
    const ctx = useConformanceContext(target);
    migrationsUsersConformance(ctx);
    enqueueConformance(ctx);
    addFinishedConformance(ctx);
    claimConformance(ctx);
    leasesConformance(ctx);
    workerTransitionsConformance(ctx);
    planCheckpointsConformance(ctx);
    userTransitionsConformance(ctx);
    eventsConformance(ctx);
    artifactsConformance(ctx);
    webhooksConformance(ctx);
    workerRegistryConformance(ctx);
    searchConformance(ctx);
    revisionsConformance(ctx);
    libraryConformance(ctx);
    claimNextConformance(ctx);
    revisionCacheConformance(ctx);
  });
}
