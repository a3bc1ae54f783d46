import { formatTurn, LiveTranscript } from '../live/client/live-transcript.js';
import type { RealtimeServerEvent } from '../live/client/realtime-protocol.js';

/** Erase the whole current line and return to its start. */
const CLEAR_LINE = '\r\x1b[2K';

/**
 * Shows a live session on stdout. On a terminal the in-progress hypothesis is redrawn in place on
 * the last line (cut to the terminal's width: a wrapped line could not be erased by \r), and each
 * finished turn replaces it as a permanent `[mm:ss.s → mm:ss.s] text` line. Elsewhere (a pipe, a
 * file) only finished turns are written, so the output is clean to process.
 */
export class LiveView {
  private readonly transcript = new LiveTranscript();
  private shown = '';

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly tty = Boolean(out.isTTY),
  ) {}

  onEvent(ev: RealtimeServerEvent): void {
    const finished = this.transcript.apply(ev);
    if (finished) {
      this.clearPartial();
      if (finished.text) this.out.write(`${formatTurn(finished)}\n`);
    }
    if (this.tty) this.drawPartial(this.transcript.partial() ?? '');
  }

  /** Leaves the terminal on a clean line (before an error message, or at the end). */
  close(): void {
    this.clearPartial();
  }

  /** Every finished turn's text so far. */
  text(): string {
    return this.transcript.text();
  }

  private drawPartial(text: string): void {
    const width = Math.max(10, (this.out.columns || 80) - 1);
    const line = text.length > width ? `…${text.slice(text.length - width + 1)}` : text;
    if (line === this.shown) return;
    this.out.write(`${CLEAR_LINE}${line}`);
    this.shown = line;
  }

  private clearPartial(): void {
    if (!this.tty || this.shown === '') return;
    this.out.write(CLEAR_LINE);
    this.shown = '';
  }
}
