import type { Task } from '../../core/task.js';
import { taskFromRow } from '../task.rows.js';
import type { Scope } from '../task.store.js';
import { type SqliteDb, scopeSql } from './sqlite.db.js';

/** The library's writes: a task's title. */

/** See TaskStore.setTitle; one statement. */
export function setTitle(db: SqliteDb, id: string, scope: Scope, title: string | null, now: number): Task | null {
  const s = scopeSql(scope);
  const row = db.write(() =>
    db.get(`UPDATE tasks SET title = @title, updated_at = @now WHERE id = @id${s.sql} RETURNING *`, {
      ...s.params,
      id,
      title,
      now,
    }),
  );
  return row ? taskFromRow(row) : null;
}
