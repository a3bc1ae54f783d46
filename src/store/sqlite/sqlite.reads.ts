import type { Task, TaskStatus } from '../../core/task.js';
import { listConditions, orderBy, totalOf } from '../task.list.js';
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

/** In the filter's order (see orderBy), from one snapshot so page, total and counts agree. */
export function listTasks(db: SqliteDb, scope: Scope, filter: ListFilter): TaskPage {
  const s = scopeSql(scope);
  const params: Record<string, unknown> = { ...s.params };
  const cond = listConditions(filter, (value) => {
    const name = `p${Object.keys(params).length}`;
    params[name] = value;
    return `@${name}`;
  });
  const where = `WHERE 1 = 1${s.sql}${cond.withStatus}`;
  return db.read(() => {
    const rows = db.all(
      `SELECT * FROM tasks ${where} ORDER BY ${orderBy(filter.sort, filter.order)} LIMIT @limit OFFSET @offset`,
      { ...params, limit: filter.limit, offset: filter.offset },
    );
    const counts = countsFrom(
      db.all(
        `SELECT status, count(*) AS n FROM tasks WHERE 1 = 1${s.sql}${cond.withoutStatus} GROUP BY status`,
        params,
      ),
    );
    return { tasks: rows.map(taskFromRow), total: totalOf(counts, filter.status), counts };
  });
}

/** From the rows triggers keep (migration 12), not a scan of the tasks. */
export function countByStatus(db: SqliteDb): Record<TaskStatus, number> {
  return countsFrom(db.all('SELECT status, n FROM task_counts'));
}

export function queuedCount(db: SqliteDb): number {
  return Number(db.get("SELECT n FROM task_counts WHERE status = 'queued'")?.n);
}
