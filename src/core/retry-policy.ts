/**
 * Delay before retry number `attempt` (1-based: the delay after the first failed attempt is
 * delays[0]). Attempts past the list reuse its last entry.
 */
export function backoffMs(attempt: number, delaysMs: readonly number[]): number {
  if (delaysMs.length === 0) return 0;
  const i = Math.min(Math.max(attempt, 1), delaysMs.length) - 1;
  return delaysMs[i] ?? 0;
}
