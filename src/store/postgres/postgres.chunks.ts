import type { ChunkCheckpoint, ChunkPlan } from '../../core/task.js';
import type { Transcript } from '../../core/transcript.js';
import { chunkFromRow } from '../task.rows.js';
import type { StoredPlan } from '../task.store.js';
import type { PgDb, PgQuery } from './postgres.db.js';

/**
 * A task's results: planned chunks with their checkpoints, and the final transcript. The writers
 * run inside the caller's transaction, after it has checked the lease and locked the task row.
 */

/**
 * Inserts the chunks not yet stored (existing rows and their checkpoints are kept: plans are
 * deterministic), in one statement. With `complete`, drops stored chunks past the plan's last index.
 */
export async function insertPlan(
  db: PgDb,
  q: PgQuery,
  taskId: string,
  chunks: readonly ChunkPlan[],
  complete: boolean,
): Promise<void> {
  await q.run(
    `INSERT INTO ${db.t.chunks} (task_id, idx, start_sample, end_sample)
     SELECT $1, c.idx, c.start_sample, c.end_sample
     FROM unnest($2::integer[], $3::bigint[], $4::bigint[]) AS c (idx, start_sample, end_sample)
     ON CONFLICT DO NOTHING`,
    [taskId, chunks.map((c) => c.index), chunks.map((c) => c.startSample), chunks.map((c) => c.endSample)],
  );
  if (complete) {
    const last = chunks.reduce((max, c) => Math.max(max, c.index), -1);
    await q.run(`DELETE FROM ${db.t.chunks} WHERE task_id = $1 AND idx > $2`, [taskId, last]);
  }
}

/**
 * A CTE named `name` that stores checkpoint `c` for each task row of CTE `from` (none when the
 * holder check left it empty): the chunk's row is inserted when absent, and a second checkpoint of
 * one chunk replaces the first. Its parameters are checkpointParams(c), numbered from `first`
 * (e.g. '$4').
 */
export function checkpointCte(db: PgDb, name: string, from: string, first: string): string {
  const p = (i: number) => `$${Number(first.slice(1)) + i}`;
  return `${name} AS (
    INSERT INTO ${db.t.chunks} (task_id, idx, start_sample, end_sample, segments, attempt)
    SELECT f.id, ${p(0)}::integer, ${p(1)}::bigint, ${p(2)}::bigint, ${p(3)}::jsonb, ${p(4)}::integer FROM ${from} f
    ON CONFLICT (task_id, idx) DO UPDATE SET start_sample = excluded.start_sample,
      end_sample = excluded.end_sample, segments = excluded.segments, attempt = excluded.attempt)`;
}

/** The parameters of checkpointCte, in order. */
export function checkpointParams(c: ChunkCheckpoint): unknown[] {
  return [c.index, c.startSample, c.endSample, JSON.stringify(c.segments), c.attempt];
}

export async function deletePlan(db: PgDb, q: PgQuery, taskId: string): Promise<void> {
  await q.run(`DELETE FROM ${db.t.chunks} WHERE task_id = $1`, [taskId]);
}

/** Chunks ordered by index; `{ complete: false, chunks: [] }` for an unknown task. */
export async function readPlan(db: PgDb, taskId: string): Promise<StoredPlan> {
  return db.read(async (q) => {
    const task = await q.get(`SELECT plan_complete FROM ${db.t.tasks} WHERE id = $1`, [taskId]);
    const chunks = await q.all(`SELECT * FROM ${db.t.chunks} WHERE task_id = $1 ORDER BY idx`, [taskId]);
    return { complete: task?.plan_complete === true, chunks: chunks.map(chunkFromRow) };
  });
}

/** A CTE named `name` that stores the transcript parameter `param` for each task row of CTE `from`. */
export function transcriptCte(db: PgDb, name: string, from: string, param: string): string {
  return `${name} AS (
    INSERT INTO ${db.t.transcripts} (task_id, json) SELECT f.id, ${param}::jsonb FROM ${from} f
    ON CONFLICT (task_id) DO UPDATE SET json = excluded.json)`;
}

export async function saveTranscript(db: PgDb, q: PgQuery, taskId: string, transcript: Transcript): Promise<void> {
  await q.run(
    `INSERT INTO ${db.t.transcripts} (task_id, json) VALUES ($1, $2)
     ON CONFLICT (task_id) DO UPDATE SET json = excluded.json`,
    [taskId, JSON.stringify(transcript)],
  );
}

/** jsonb comes back parsed. */
export async function readTranscript(db: PgDb, taskId: string): Promise<Transcript | null> {
  const row = await db.get(`SELECT json FROM ${db.t.transcripts} WHERE task_id = $1`, [taskId]);
  return row ? (row.json as Transcript) : null;
}
