import type { Task } from '../../core/task.js';
import { taskFromRow } from '../task.rows.js';
import type { Scope } from '../task.store.js';
import { type SqliteDb, scopeSql } from './sqlite.db.js';
import { appendEvent } from './sqlite.events.js';

/** The library's writes: a task's title. */

/** See TaskStore.setTitle; one transaction, with its 'renamed' event. */
export function setTitle(db: SqliteDb, id: string, scope: Scope, title: string | null, now: number): Task | null {
  const s = scopeSql(scope);
  return db.write(() => {
    const row = db.get(`UPDATE tasks SET title = @title, updated_at = @now WHERE id = @id${s.sql} RETURNING *`, {
      ...s.params,
      id,
      title,
      now,
    });
    if (!row) return null;
    const task = taskFromRow(row);
    appendEvent(db, task, 'renamed', { title: task.title }, now);
    return task;
  });
}
