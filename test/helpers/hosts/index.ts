/**
 * Separate machines inside one test: a private network (a Linux bridge in the root namespace)
 * with hosts in their own network namespaces, each with its own address and data directory, and a
 * throwaway PostgreSQL on the bridge. Processes started on a host (startService / startWorker with
 * `host`) reach PostgreSQL and each other only over that network; the test, in the root namespace,
 * reaches them at their addresses. Needs root and iproute2 (`hostsSupport()` says why not).
 *
 * names.ts: numbering and naming (what makes parallel runs never collide); claim.ts: taking a free
 * network number and removing crashed runs' leftovers; network.ts: create/teardown; host.ts: one
 * host (run inside it, kill it, unplug it); postgres.ts: the private cluster; teardown.ts: removal,
 * synchronous so it also runs at process exit; ip-command.ts: running `ip`, the support check.
 */
export { reapStale } from './claim.js';
export { Host } from './host.js';
export { type CommandResult, hostsSupport, run } from './ip-command.js';
export { createNetwork, Network, type NetworkOptions } from './network.js';
export { PrivatePostgres, postgresBinDir } from './postgres.js';
export { listLinks, listNetns } from './teardown.js';
