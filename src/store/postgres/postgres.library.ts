import type { Task } from '../../core/task.js';
import { taskFromRow } from '../task.rows.js';
import type { Scope } from '../task.store.js';
import type { PgDb } from './postgres.db.js';

/** The library's writes: a task's title. */

/** See TaskStore.setTitle; one statement. */
export async function setTitle(
  db: PgDb,
  id: string,
  scope: Scope,
  title: string | null,
  now: number,
): Promise<Task | null> {
  const params: unknown[] = [id, title, now];
  const scoped = 'admin' in scope ? '' : ` AND user_id = $${params.push(scope.userId)}`;
  const row = await db.get(
    `UPDATE ${db.t.tasks} SET title = $2, updated_at = $3 WHERE id = $1${scoped} RETURNING *`,
    params,
  );
  return row ? taskFromRow(row) : null;
}
