import type { Task, TaskStatus } from '../../core/task.js';
import { taskFromRow } from '../task.rows.js';
import type { ListFilter, Scope, TaskPage } from '../task.store.js';
import { countsFrom } from '../task.transitions.js';
import type { PgDb, PgQuery } from './postgres.db.js';

/** Reading task rows for callers in a scope. */

/** The task if `scope` may see it; `lock` takes its row lock for the rest of the transaction. */
export async function findVisible(db: PgDb, q: PgQuery, id: string, scope: Scope, lock: boolean): Promise<Task | null> {
  const scoped = 'admin' in scope ? { sql: '', params: [] } : { sql: ' AND user_id = $2', params: [scope.userId] };
  const forUpdate = lock ? ' FOR UPDATE' : '';
  const row = await q.get(`SELECT * FROM ${db.t.tasks} WHERE id = $1${scoped.sql}${forUpdate}`, [id, ...scoped.params]);
  return row ? taskFromRow(row) : null;
}

/** Newest first (created_at, then id, descending), from one snapshot so page, total and counts agree. */
export async function listTasks(db: PgDb, scope: Scope, filter: ListFilter): Promise<TaskPage> {
  const params: unknown[] = [];
  const scopeSql = 'admin' in scope ? '' : ` AND user_id = $${params.push(scope.userId)}`;
  const scopeParams = [...params];
  const statusSql = filter.status === undefined ? '' : ` AND status = $${params.push(filter.status)}`;
  const where = `WHERE TRUE${scopeSql}${statusSql}`;
  return db.read(async (q) => {
    const rows = await q.all(
      `SELECT * FROM ${db.t.tasks} ${where} ORDER BY created_at DESC, id DESC
       LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, filter.limit, filter.offset],
    );
    const total = Number((await q.get(`SELECT count(*) AS n FROM ${db.t.tasks} ${where}`, params))?.n);
    const byStatus = await q.all(
      `SELECT status, count(*) AS n FROM ${db.t.tasks} WHERE TRUE${scopeSql} GROUP BY status`,
      scopeParams,
    );
    return { tasks: rows.map(taskFromRow), total, counts: countsFrom(byStatus) };
  });
}

export async function countByStatus(db: PgDb): Promise<Record<TaskStatus, number>> {
  return countsFrom(await db.all(`SELECT status, count(*) AS n FROM ${db.t.tasks} GROUP BY status`));
}
