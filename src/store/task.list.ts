import { type SortOrder, TASK_STATUSES, type TaskSort, type TaskStatus } from '../core/task.js';
import type { ListFilter } from './task.store.js';

/**
 * The task list's SQL, shared by both adapters: the same functions and syntax work in SQLite and
 * PostgreSQL, only placeholders differ, so each adapter passes `param` (value in, placeholder out).
 */
export type AddParam = (value: unknown) => string;

/** Conditions to AND onto the scope's WHERE: with the status filter, and without it (for counts). */
export interface ListConditions {
  withStatus: string;
  withoutStatus: string;
}

export function listConditions(filter: ListFilter, param: AddParam): ListConditions {
  let sql = '';
  if (filter.q !== undefined && filter.q.length > 0) {
    const pattern = param(likePattern(filter.q));
    // lower() on both sides: SQLite's LIKE folds ASCII only, PostgreSQL's not at all.
    sql += ` AND (lower(title) LIKE lower(${pattern}) ESCAPE '\\' OR lower(source_name) LIKE lower(${pattern}) ESCAPE '\\')`;
  }
  if (filter.createdFrom !== undefined) sql += ` AND created_at >= ${param(filter.createdFrom)}`;
  if (filter.createdBefore !== undefined) sql += ` AND created_at < ${param(filter.createdBefore)}`;
  const status = filter.status === undefined ? '' : ` AND status = ${param(filter.status)}`;
  return { withStatus: `${sql}${status}`, withoutStatus: sql };
}

/** `q` as a LIKE pattern matching it anywhere, its own % _ and \ taken literally. */
export function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const STATUS_RANK = `CASE status ${TASK_STATUSES.map((s, i) => `WHEN '${s}' THEN ${i}`).join(' ')} END`;

/**
 * The ORDER BY list. Every order ends with id, so equal keys still have one order and offset pages
 * never overlap. Missing durations and word counts sort last in both directions.
 */
export function orderBy(sort: TaskSort = 'created', order: SortOrder = 'desc'): string {
  const dir = order === 'asc' ? 'ASC' : 'DESC';
  switch (sort) {
    case 'created':
      return `created_at ${dir}, id ${dir}`;
    case 'title':
      return `lower(COALESCE(title, source_name)) ${dir}, id ${dir}`;
    case 'duration':
      return `duration_seconds ${dir} NULLS LAST, id ${dir}`;
    case 'words':
      return `word_count ${dir} NULLS LAST, id ${dir}`;
    case 'status':
      return `${STATUS_RANK} ${dir}, created_at ${dir}, id ${dir}`;
  }
}

/**
 * The page's total from the counts by status (which ignore the status filter): one scan of the
 * filtered rows serves both, instead of a count(*) of its own.
 */
export function totalOf(counts: Record<TaskStatus, number>, status: TaskStatus | undefined): number {
  return status === undefined ? Object.values(counts).reduce((a, b) => a + b, 0) : counts[status];
}
