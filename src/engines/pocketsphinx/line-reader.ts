/**
 * Splits a byte stream into newline-terminated lines, holding at most `maxLineBytes` of an
 * unfinished line. A child process that prints endless output without a newline (a bug, or garbage
 * on stdout) must cost a bounded amount of memory and be reported, not buffered forever.
 */
export class LineReader {
  private parts: Buffer[] = [];
  private pending = 0;
  private overflowed = false;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.overflowed) return;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      const tail = chunk.subarray(start, nl);
      if (this.pending + tail.length > this.maxLineBytes) {
        this.overflow();
        return;
      }
      const line = this.pending === 0 ? tail : Buffer.concat([...this.parts, tail]);
      this.parts = [];
      this.pending = 0;
      start = nl + 1;
      this.onLine(line.toString('utf8'));
      if (this.overflowed) return;
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0) return;
    if (this.pending + rest.length > this.maxLineBytes) {
      this.overflow();
      return;
    }
    // Copy: the stream may reuse its buffer.
    this.parts.push(Buffer.from(rest));
    this.pending += rest.length;
  }

  private overflow(): void {
    this.overflowed = true;
    this.parts = [];
    this.pending = 0;
    this.onOverflow();
  }
}
