import type { Task } from '../../core/task.js';
import type { CompleteAndClaim } from '../task.store.js';

/**
 * completeAndClaim on SQLite: complete() then, if it succeeded, claim(), each in its own BEGIN
 * IMMEDIATE. Folding them buys little here: in WAL mode with synchronous = NORMAL a commit does not
 * fsync, so the second transaction costs a lock and a page write, not a disk flush. A crash between
 * the two leaves the task completed and nothing claimed, as complete() followed by a crash would.
 */
export async function completeAndClaim(
  complete: () => Promise<boolean>,
  claim: () => Promise<Task | null>,
): Promise<CompleteAndClaim> {
  if (!(await complete())) return { completed: false, next: null };
  return { completed: true, next: await claim() };
}
