import type { Transcript } from '../core/transcript.js';

/**
 * The newest parsed transcript of recently edited tasks, per store instance (so per API process),
 * so the next edit of the same task skips parsing (and on PostgreSQL reading) ~1 MB of JSON. An
 * entry is an edit's own result, kept under a `version` that identifies the stored row exactly;
 * an edit locks the transcript row, reads its version under the lock, and uses the entry only when
 * the versions are equal, so a write by anything else (another API node, a worker, a deleted and
 * re-created task) is a miss, never a stale read:
 * - PostgreSQL: `revision:xmin`; xmin is the id of the transaction that last wrote the row, new on
 *   every write.
 * - SQLite: the stored JSON text itself (reading it is a copy; parsing it is what costs), so the
 *   compare is exact.
 *
 * Bounds: at most TRANSCRIPT_CACHE_BYTES characters of JSON (plus versions) in all, least recently
 * used dropped first, and no entry over TRANSCRIPT_CACHE_ENTRY_BYTES (such one is not kept). The
 * parsed objects take some 2–4× their JSON size in memory. A task's entry is dropped when the task
 * is deleted through this store. Cached objects are shared with callers and never changed
 * (applyEdits returns new objects).
 */
export const TRANSCRIPT_CACHE_BYTES = 32 * 1024 * 1024;
export const TRANSCRIPT_CACHE_ENTRY_BYTES = 8 * 1024 * 1024;

interface Entry {
  version: string;
  transcript: Transcript;
  bytes: number;
}

export class TranscriptCache {
  /** Map order is recency: the first key is the least recently used. */
  private readonly entries = new Map<string, Entry>();
  private total = 0;

  constructor(
    private readonly maxBytes = TRANSCRIPT_CACHE_BYTES,
    private readonly maxEntryBytes = TRANSCRIPT_CACHE_ENTRY_BYTES,
  ) {}

  /** Task `taskId`'s transcript at `version`, if that is the one kept. */
  get(taskId: string, version: string): Transcript | null {
    const entry = this.entries.get(taskId);
    if (entry === undefined || entry.version !== version) return null;
    this.entries.delete(taskId);
    this.entries.set(taskId, entry);
    return entry.transcript;
  }

  /** The size counted for task `taskId`'s entry (0 when none). */
  sizeOf(taskId: string): number {
    return this.entries.get(taskId)?.bytes ?? 0;
  }

  /** Keeps `transcript` (whose JSON is `jsonLength` long) as task `taskId`'s at `version`. */
  set(taskId: string, version: string, transcript: Transcript, jsonLength: number): void {
    this.delete(taskId);
    const bytes = jsonLength + version.length;
    if (bytes > this.maxEntryBytes || bytes > this.maxBytes) return;
    this.entries.set(taskId, { version, transcript, bytes });
    this.total += bytes;
    for (const [key, entry] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(key);
      this.total -= entry.bytes;
    }
  }

  delete(taskId: string): void {
    const entry = this.entries.get(taskId);
    if (entry === undefined) return;
    this.entries.delete(taskId);
    this.total -= entry.bytes;
  }

  /** Bytes of JSON kept (for tests). */
  get bytes(): number {
    return this.total;
  }
}
