import type { Task } from '../../core/task.js';
import { taskFromRow } from '../task.rows.js';
import type { Scope } from '../task.store.js';
import type { PgDb } from './postgres.db.js';
import { EVENT_DATA_SQL } from './postgres.event-data.js';
import * as events from './postgres.events.js';

/** The library's writes: a task's title. */

/** See TaskStore.setTitle; one statement, with its 'renamed' event. */
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
    `WITH renamed AS (UPDATE ${db.t.tasks} SET title = $2, updated_at = $3 WHERE id = $1${scoped} RETURNING *),
     ${events.eventCte(db, 'ev', 'renamed', 'renamed', EVENT_DATA_SQL.renamed, '$3::bigint')}
     SELECT * FROM renamed`,
    params,
  );
  return row ? taskFromRow(row) : null;
}
