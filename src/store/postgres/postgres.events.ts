import type { TaskEvent, TaskEventData, TaskEventType } from '../../core/event.js';
import type { Task } from '../../core/task.js';
import { eventFromRow } from '../task.rows.js';
import type { PgDb, PgQuery } from './postgres.db.js';

/**
 * The event log. Appends serialise on an advisory lock held to commit (see PgDb.lockEvents), so
 * seq order is commit order: a reader that has seen seq N has seen everything before it.
 */

/** Appends one event; always the last step of the transition's transaction (after its row locks). */
export async function appendEvent<T extends TaskEventType>(
  db: PgDb,
  q: PgQuery,
  task: Pick<Task, 'id' | 'userId'>,
  type: T,
  data: TaskEventData<T>,
  now: number,
): Promise<void> {
  await db.lockEvents(q);
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
 * transaction instead of BEGIN, UPDATE, lock, INSERT, COMMIT. The events lock is taken per row
 * through a LATERAL reference to that row, so only after the row's UPDATE took its row lock: the
 * same order appendEvent keeps (row locks first, then the events lock, held to commit). `data` builds
 * the payload from the row (see EVENT_DATA_SQL); `nowParam` is the statement's time parameter.
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
    SELECT r.id, r.user_id, '${type}', ${data('r')}, ${nowParam}
    FROM ${from} r CROSS JOIN LATERAL (SELECT ${db.eventsLockSql} WHERE r.id IS NOT NULL) l)`;
}

export async function readEvents(
  db: PgDb,
  afterSeq: number,
  limit: number,
  filter: { taskId?: string; userId?: string },
): Promise<TaskEvent[]> {
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
  return Number((await db.get(`SELECT coalesce(max(seq), 0) AS seq FROM ${db.t.events}`))?.seq);
}

/** Removes the union of both sets: events older than `olderThan`, and every event but the newest `keep`. */
export async function pruneEvents(db: PgDb, olderThan: number, keep: number): Promise<number> {
  return db.run(
    `DELETE FROM ${db.t.events} WHERE created_at < $1
       OR seq <= coalesce((SELECT seq FROM ${db.t.events} ORDER BY seq DESC LIMIT 1 OFFSET $2), -1)`,
    [olderThan, Math.max(0, Math.floor(keep))],
  );
}
