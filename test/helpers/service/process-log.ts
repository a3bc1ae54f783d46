/**
 * The output of a process a test started: kept (bounded) for failure messages and read back as the
 * JSON log records the service writes (EARSHOT_LOG_FORMAT=json). `changed()` lets a test wait for a
 * record without polling on a timer.
 */
export class ProcessLog {
  private text = '';
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly label: string,
    private readonly keepChars = 400_000,
  ) {}

  append(chunk: string): void {
    if (process.env.EARSHOT_TEST_LOG) process.stderr.write(chunk);
    this.text += chunk;
    if (this.text.length > this.keepChars) this.text = this.text.slice(-this.keepChars / 2);
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }

  /** Everything kept so far. */
  all(): string {
    return this.text;
  }

  /** Log records (JSON lines) matching `pred`. */
  records(pred: (r: Record<string, unknown>) => boolean = () => true): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of this.text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const r = JSON.parse(line) as Record<string, unknown>;
        if (pred(r)) out.push(r);
      } catch {
        // a line cut by the tail limit, or not yet complete
      }
    }
    return out;
  }

  /**
   * Resolves with the first record matching `pred` (from the start of the log), re-checking whenever
   * output arrives; rejects at the deadline, or at once when `ended()` says no more output can come.
   */
  async waitFor(
    pred: (r: Record<string, unknown>) => boolean,
    timeoutMs: number,
    what: string,
    ended: () => boolean = () => false,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [found] = this.records(pred);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0 || ended()) {
        throw new Error(`${this.label}: no log record ${what} within ${timeoutMs} ms\n${this.tail()}`);
      }
      await new Promise<void>((resolve) => {
        // Also wakes on a timer, so a process that exits without more output ends the wait.
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  tail(chars = 6000): string {
    return `--- ${this.label} log (tail) ---\n${this.text.slice(-chars)}`;
  }
}
