import type { Migration } from '../../migration.js';

/**
 * Events get their `seq` after they commit, from one sequencer at a time (postgres.events.ts),
 * instead of at insert under a lock held to commit: that lock made every transition of the whole
 * deployment wait for the previous one's commit (its fsync included). `id` (insert order) is the new
 * key; `seq` (commit order, the SSE resume id) stays unique and is NULL until sequenced. Existing
 * rows keep their seq. The identity has no cache, so ids grow in insert order across sessions.
 */
export const eventSequencer: Migration = {
  version: 6,
  name: 'event-sequencer',
  sql: `
ALTER TABLE events ALTER COLUMN seq DROP IDENTITY;
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ALTER COLUMN seq DROP NOT NULL;
ALTER TABLE events ADD COLUMN id BIGINT GENERATED ALWAYS AS IDENTITY;
ALTER TABLE events ADD PRIMARY KEY (id);
CREATE UNIQUE INDEX events_seq_idx ON events (seq);
CREATE INDEX events_pending_idx ON events (id) WHERE seq IS NULL;
`,
};
