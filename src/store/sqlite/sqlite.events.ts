import type { TaskEvent, TaskEventData, TaskEventType } from '../../core/event.js';
import type { Task } from '../../core/task.js';
import { eventFromRow } from '../task.rows.js';
import type { SqliteDb } from './sqlite.db.js';

/**
 * The event log. Writers are serialised by SQLite's single write lock, so seq order is commit order:
 * a reader that has seen seq N has seen everything before it.
 */

/** Appends one event; call inside the write transaction of the transition it records. */
export function appendEvent<T extends TaskEventType>(
  db: SqliteDb,
  task: Pick<Task, 'id' | 'userId'>,
  type: T,
  data: TaskEventData<T>,
  now: number,
): void {
  db.run('INSERT INTO events (task_id, user_id, type, data, created_at) VALUES (?, ?, ?, ?, ?)', [
    task.id,
    task.userId,
    type,
    JSON.stringify(data),
    now,
  ]);
}

export function readEvents(
  db: SqliteDb,
  afterSeq: number,
  limit: number,
  filter: { taskId?: string; userId?: string },
): TaskEvent[] {
  const taskSql = filter.taskId === undefined ? '' : ' AND task_id = @taskId';
  const userSql = filter.userId === undefined ? '' : ' AND user_id = @userId';
  return db
    .all(`SELECT * FROM events WHERE seq > @afterSeq${taskSql}${userSql} ORDER BY seq LIMIT @limit`, {
      afterSeq,
      limit,
      taskId: filter.taskId,
      userId: filter.userId,
    })
    .map(eventFromRow);
}

/** 0 when the log is empty. */
export function latestEventSeq(db: SqliteDb): number {
  return Number(db.get('SELECT coalesce(max(seq), 0) AS seq FROM events')?.seq);
}

/** Removes the union of both sets: events older than `olderThan`, and every event but the newest `keep`. */
export function pruneEvents(db: SqliteDb, olderThan: number, keep: number): number {
  return db.write(
    () =>
      db.run(
        `DELETE FROM events WHERE created_at < @olderThan
           OR seq <= coalesce((SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET @keep), -1)`,
        { olderThan, keep: Math.max(0, Math.floor(keep)) },
      ).changes,
  );
}
