import type { TaskEvent, TaskEventData, TaskEventType } from '../../core/event.js';
import type { Task } from '../../core/task.js';
import { eventFromRow } from '../task.rows.js';
import type { PgDb, PgQuery } from './postgres.db.js';

/**
 * The event log. Writers insert events without a `seq`, in their transition's transaction, and never
 * wait for each other. A sequencer then numbers the committed ones: under an advisory lock, in one
 * transaction, it gives the pending events it can see the next seqs in insert order. So seq order is
 * the order in which batches became visible: a reader that has seen seq N has seen everything
 * sequenced before it, and a later commit always gets a higher seq (an SSE client resuming after N
 * misses nothing). A task's events are inserted by transitions that hold its row lock to commit, so
 * its later events have higher ids and are never sequenced before its earlier ones. Readers run the
 * sequencer first; the pending check is an index probe, so a quiet log costs one cheap query.
 */

/** Most events numbered by one sequencer run; a larger backlog is numbered over the next reads. */
const SEQUENCE_BATCH = 5_000;

/** Appends one event (no seq yet) inside the transition's transaction. */
export async function appendEvent<T extends TaskEventType>(
  db: PgDb,
  q: PgQuery,
  task: Pick<Task, 'id' | 'userId'>,
  type: T,
  data: TaskEventData<T>,
  now: number,
): Promise<void> {
  await q.run(`INSERT INTO ${db.t.events} (task_id, user_id, type, data, created_at) VALUES ($1, $2, $3, $4, $5)`, [
    task.id,
    task.userId,
    type,
    JSON.stringify(data),
    now,
  ]);
}

/**
 * A CTE named `name` that appends one `type` event per row of the CTE `from` (a data-modifying CTE's
 * RETURNING rows), for transitions made in one statement: one round trip and an implicit
 * transaction instead of BEGIN, UPDATE, INSERT, COMMIT. `data` builds the payload from the row (see
 * EVENT_DATA_SQL); `nowParam` is the statement's time parameter.
 */
export function eventCte(
  db: PgDb,
  name: string,
  from: string,
  type: TaskEventType,
  data: (row: string) => string,
  nowParam: string,
): string {
  return `${name} AS (
    INSERT INTO ${db.t.events} (task_id, user_id, type, data, created_at)
    SELECT r.id, r.user_id, '${type}', ${data('r')}, ${nowParam} FROM ${from} r)`;
}

/** Numbers committed events that have no seq yet (see above). */
export async function sequencePending(db: PgDb): Promise<void> {
  const pending = await db.get(`SELECT 1 AS pending FROM ${db.t.events} WHERE seq IS NULL LIMIT 1`);
  if (pending === undefined) return;
  await db.txWithLock('sequence', (q) =>
    q.run(
      `WITH pending AS (
         SELECT id, row_number() OVER (ORDER BY id) AS n FROM ${db.t.events} WHERE seq IS NULL ORDER BY id LIMIT $1),
       top AS (SELECT coalesce(max(seq), 0) AS seq FROM ${db.t.events})
       UPDATE ${db.t.events} e SET seq = top.seq + pending.n FROM pending, top WHERE e.id = pending.id`,
      [SEQUENCE_BATCH],
    ),
  );
}

export async function readEvents(
  db: PgDb,
  afterSeq: number,
  limit: number,
  filter: { taskId?: string; userId?: string },
): Promise<TaskEvent[]> {
  await sequencePending(db);
  const params: unknown[] = [afterSeq];
  const taskSql = filter.taskId === undefined ? '' : ` AND task_id = $${params.push(filter.taskId)}`;
  const userSql = filter.userId === undefined ? '' : ` AND user_id = $${params.push(filter.userId)}`;
  const rows = await db.all(
    `SELECT * FROM ${db.t.events} WHERE seq > $1${taskSql}${userSql} ORDER BY seq LIMIT $${params.push(limit)}`,
    params,
  );
  return rows.map(eventFromRow);
}

/** 0 when the log is empty. */
export async function latestEventSeq(db: PgDb): Promise<number> {
  await sequencePending(db);
  return Number((await db.get(`SELECT coalesce(max(seq), 0) AS seq FROM ${db.t.events}`))?.seq);
}

/** Removes the union of both sets: events older than `olderThan`, and every event but the newest `keep`. */
export async function pruneEvents(db: PgDb, olderThan: number, keep: number): Promise<number> {
  return db.run(
    `DELETE FROM ${db.t.events} WHERE created_at < $1
       OR seq <= coalesce((SELECT seq FROM ${db.t.events} WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1 OFFSET $2), -1)`,
    [olderThan, Math.max(0, Math.floor(keep))],
  );
}
