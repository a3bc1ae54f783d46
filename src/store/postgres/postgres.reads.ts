import type { Task, TaskStatus } from '../../core/task.js';
import { listConditions, orderBy, totalOf } from '../task.list.js';
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

/** In the filter's order (see orderBy), from one snapshot so page, total and counts agree. */
export async function listTasks(db: PgDb, scope: Scope, filter: ListFilter): Promise<TaskPage> {
  const params: unknown[] = [];
  const scopeSql = 'admin' in scope ? '' : ` AND user_id = $${params.push(scope.userId)}`;
  const cond = listConditions(filter, (value) => `$${params.push(value)}`);
  const where = `WHERE TRUE${scopeSql}${cond.withStatus}`;
  // The status parameter (if any) is the last one added; the counts leave it out.
  const countParams = filter.status === undefined ? params : params.slice(0, -1);
  return db.read(async (q) => {
    const rows = await q.all(
      `SELECT * FROM ${db.t.tasks} ${where} ORDER BY ${orderBy(filter.sort, filter.order)}
       LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, filter.limit, filter.offset],
    );
    const counts = countsFrom(
      await q.all(
        `SELECT status, count(*) AS n FROM ${db.t.tasks} WHERE TRUE${scopeSql}${cond.withoutStatus} GROUP BY status`,
        countParams,
      ),
    );
    return { tasks: rows.map(taskFromRow), total: totalOf(counts, filter.status), counts };
  });
}

export async function countByStatus(db: PgDb): Promise<Record<TaskStatus, number>> {
  return countsFrom(await db.all(`SELECT status, count(*) AS n FROM ${db.t.tasks} GROUP BY status`));
}

/**
 * The sum of the per-backend counter rows (migration 14) as this statement's snapshot sees them:
 * exact for committed transitions, and a few rows whatever the queue holds. No lock: the enqueue's
 * own bound check is the atomic one.
 */
export async function queuedCount(db: PgDb): Promise<number> {
  return Number((await db.get(`SELECT coalesce(sum(queued), 0) AS n FROM ${db.t.schema}.queue_depth`))?.n);
}
