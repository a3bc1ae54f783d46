import type { Task, TaskStatus } from '../../core/task.js';
import { taskFromRow } from '../task.rows.js';
import type { ListFilter, Scope, TaskPage } from '../task.store.js';
import { countsFrom } from '../task.transitions.js';
import { type SqliteDb, scopeSql } from './sqlite.db.js';

/** Reading task rows for callers in a scope. */

/** The task if `scope` may see it. */
export function findVisible(db: SqliteDb, id: string, scope: Scope): Task | null {
  const s = scopeSql(scope);
  const row = db.get(`SELECT * FROM tasks WHERE id = @id${s.sql}`, { ...s.params, id });
  return row ? taskFromRow(row) : null;
}

/** Newest first (created_at, then id, descending), from one snapshot so page, total and counts agree. */
export function listTasks(db: SqliteDb, scope: Scope, filter: ListFilter): TaskPage {
  const s = scopeSql(scope);
  const statusSql = filter.status === undefined ? '' : ' AND status = @status';
  const where = `WHERE 1 = 1${s.sql}${statusSql}`;
  const params = { ...s.params, status: filter.status, limit: filter.limit, offset: filter.offset };
  return db.read(() => {
    const rows = db.all(
      `SELECT * FROM tasks ${where} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`,
      params,
    );
    const total = Number(db.get(`SELECT count(*) AS n FROM tasks ${where}`, params)?.n);
    const byStatus = db.all(`SELECT status, count(*) AS n FROM tasks WHERE 1 = 1${s.sql} GROUP BY status`, s.params);
    return { tasks: rows.map(taskFromRow), total, counts: countsFrom(byStatus) };
  });
}

export function countByStatus(db: SqliteDb): Record<TaskStatus, number> {
  return countsFrom(db.all('SELECT status, count(*) AS n FROM tasks GROUP BY status'));
}
