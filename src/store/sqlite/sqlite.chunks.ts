import type { ChunkCheckpoint, ChunkPlan } from '../../core/task.js';
import type { Transcript } from '../../core/transcript.js';
import { chunkFromRow } from '../task.rows.js';
import type { StoredPlan } from '../task.store.js';
import type { SqliteDb } from './sqlite.db.js';

/**
 * A task's results: planned chunks with their checkpoints, and the final transcript. The writers
 * run inside the caller's write transaction, after it has checked the lease.
 */

/**
 * Inserts the chunks not yet stored (existing rows and their checkpoints are kept: plans are
 * deterministic). With `complete`, drops stored chunks past the plan's last index.
 */
export function insertPlan(db: SqliteDb, taskId: string, chunks: readonly ChunkPlan[], complete: boolean): void {
  for (const c of chunks) {
    db.run('INSERT INTO chunks (task_id, idx, start_sample, end_sample) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [
      taskId,
      c.index,
      c.startSample,
      c.endSample,
    ]);
  }
  if (complete) {
    const last = chunks.reduce((max, c) => Math.max(max, c.index), -1);
    db.run('DELETE FROM chunks WHERE task_id = ? AND idx > ?', [taskId, last]);
  }
}

/** Inserts the chunk's row when absent; a second checkpoint of one chunk replaces the first. */
export function upsertCheckpoint(db: SqliteDb, taskId: string, c: ChunkCheckpoint): void {
  db.run(
    `INSERT INTO chunks (task_id, idx, start_sample, end_sample, segments, attempt) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (task_id, idx) DO UPDATE SET start_sample = excluded.start_sample,
       end_sample = excluded.end_sample, segments = excluded.segments, attempt = excluded.attempt`,
    [taskId, c.index, c.startSample, c.endSample, JSON.stringify(c.segments), c.attempt],
  );
}

export function deletePlan(db: SqliteDb, taskId: string): void {
  db.run('DELETE FROM chunks WHERE task_id = ?', [taskId]);
}

/** Chunks ordered by index; `{ complete: false, chunks: [] }` for an unknown task. */
export function readPlan(db: SqliteDb, taskId: string): StoredPlan {
  return db.read(() => {
    const task = db.get('SELECT plan_complete FROM tasks WHERE id = ?', [taskId]);
    const chunks = db.all('SELECT * FROM chunks WHERE task_id = ? ORDER BY idx', [taskId]).map(chunkFromRow);
    return { complete: task?.plan_complete === 1, chunks };
  });
}

export function saveTranscript(db: SqliteDb, taskId: string, transcript: Transcript): void {
  db.run('INSERT OR REPLACE INTO transcripts (task_id, json) VALUES (?, ?)', [taskId, JSON.stringify(transcript)]);
}

export function readTranscript(db: SqliteDb, taskId: string): Transcript | null {
  const row = db.get('SELECT json FROM transcripts WHERE task_id = ?', [taskId]);
  return row ? (JSON.parse(String(row.json)) as Transcript) : null;
}
