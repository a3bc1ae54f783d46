import cliProgress from 'cli-progress';
import type { PipelineProgress } from '../pipeline/transcribe.js';

/** One file's progress, fed by its pipeline. */
export interface FileProgress {
  update(p: PipelineProgress): void;
  finish(durationSeconds: number): void;
  /** The file failed or was interrupted: it leaves the view without a "done" line. */
  stop(): void;
}

/**
 * The progress of a batch of files, several in flight, on stderr. Other stderr lines (errors,
 * "wrote …") go through `log` so they never tear the bar.
 */
export interface ProgressView {
  file(name: string): FileProgress;
  log(line: string): void;
  close(): void;
}

/** Time between plain progress lines: often enough to show life, rare enough for a log file. */
const PLAIN_INTERVAL_MS = 5000;

const fmt = (s: number | null) =>
  s === null || !Number.isFinite(s) ? '--:--' : new Date(Math.round(s) * 1000).toISOString().slice(11, 19);
const percent = (p: PipelineProgress) => (p.durationSeconds > 0 ? (100 * p.doneSeconds) / p.durationSeconds : 0);
const eta = (p: PipelineProgress) => (p.speed ? (p.durationSeconds - p.doneSeconds) / p.speed : null);

/** What the batch knows: the files in flight and the audio finished so far. */
class Batch {
  readonly started = Date.now();
  readonly active = new Map<FileProgress, { name: string; p: PipelineProgress | null }>();
  finished = 0;
  finishedSeconds = 0;

  constructor(readonly total: number) {}

  /** Whole files count 1 each, files in flight their fraction, so the bar moves with every chunk. */
  fraction(): number {
    let sum = this.finished;
    for (const { p } of this.active.values()) if (p) sum += percent(p) / 100;
    return this.total > 0 ? sum / this.total : 0;
  }

  /** Audio recognised per wall second over the whole batch: the engines' combined speed. */
  speed(): number | null {
    let seconds = this.finishedSeconds;
    for (const { p } of this.active.values()) seconds += p?.doneSeconds ?? 0;
    const wall = (Date.now() - this.started) / 1000;
    return seconds > 0 && wall > 0 ? seconds / wall : null;
  }

  /** `3/40 files` plus each file in flight with its percentage and stage. */
  summary(): string {
    const files = [...this.active.values()].map(({ name, p }) =>
      p ? `${name} ${percent(p).toFixed(0)}% ${p.stage}` : `${name} starting`,
    );
    return [`${this.finished}/${this.total} files`, ...files].join(', ');
  }
}

/**
 * A bar on a terminal; elsewhere (logs, CI) a plain line at most every 5 s. One file shows as it
 * always did (its name, ETA and stage); several show as one bar for the batch (files finished,
 * each file in flight, combined speed), since files not yet started have no known length to
 * estimate from. Each finished file prints a "done" line when not on a terminal.
 */
export function createProgressView(totalFiles: number): ProgressView {
  return process.stderr.isTTY ? new BarView(new Batch(totalFiles)) : new PlainView(new Batch(totalFiles));
}

class BarView implements ProgressView {
  private readonly bar: cliProgress.SingleBar;

  constructor(private readonly batch: Batch) {
    const single = batch.total === 1;
    this.bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: single
          ? '{name} [{bar}] {percentage}% | {speed}x real time | ETA {eta_t} | {stage}'
          : '[{bar}] {percentage}% | {speed}x real time | {summary}',
        hideCursor: true,
        etaBuffer: 1,
        // Redrawn even when unchanged, so the bar comes back after a logged line erased it.
        forceRedraw: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(100, 0, { name: '', speed: '-', eta_t: '--:--', stage: 'decoding', summary: '' });
  }

  file(name: string): FileProgress {
    const handle: FileProgress = {
      update: (p) => {
        this.batch.active.set(handle, { name, p });
        this.redraw(p);
      },
      finish: (d) => {
        this.batch.active.delete(handle);
        this.batch.finished++;
        this.batch.finishedSeconds += d;
        this.redraw(null);
      },
      stop: () => {
        this.batch.active.delete(handle);
        this.batch.finished++;
        this.redraw(null);
      },
    };
    this.batch.active.set(handle, { name, p: null });
    this.redraw(null);
    return handle;
  }

  private redraw(p: PipelineProgress | null): void {
    const speed = this.batch.speed();
    if (this.batch.total === 1) {
      const name = [...this.batch.active.values()][0]?.name;
      this.bar.update(p ? Math.floor(percent(p)) : Math.floor(100 * this.batch.fraction()), {
        ...(name ? { name } : {}),
        ...(p ? { speed: p.speed ? p.speed.toFixed(1) : '-', eta_t: fmt(eta(p)), stage: p.stage } : {}),
      });
      return;
    }
    this.bar.update(Math.floor(100 * this.batch.fraction()), {
      speed: speed ? speed.toFixed(1) : '-',
      summary: this.batch.summary(),
    });
  }

  log(line: string): void {
    // Erase the bar's line, print, and let the bar redraw below.
    process.stderr.write(`\r\x1b[2K${line}`);
    this.bar.render();
  }

  close(): void {
    if (this.batch.total === 1 && this.batch.finished === 1) this.bar.update({ stage: 'done', eta_t: '00:00:00' });
    this.bar.stop();
  }
}

class PlainView implements ProgressView {
  private last = 0;

  constructor(private readonly batch: Batch) {}

  file(name: string): FileProgress {
    const started = Date.now();
    const handle: FileProgress = {
      update: (p) => {
        this.batch.active.set(handle, { name, p });
        if (Date.now() - this.last < PLAIN_INTERVAL_MS) return;
        this.last = Date.now();
        if (this.batch.total === 1) {
          const speed = p.speed ? p.speed.toFixed(2) : '-';
          process.stderr.write(`${name}: ${percent(p).toFixed(1)}% ${p.stage} speed=${speed}x eta=${fmt(eta(p))}\n`);
        } else {
          const speed = this.batch.speed();
          process.stderr.write(
            `progress: ${(100 * this.batch.fraction()).toFixed(1)}% speed=${speed ? speed.toFixed(2) : '-'}x | ${this.batch.summary()}\n`,
          );
        }
      },
      finish: (d) => {
        this.batch.active.delete(handle);
        this.batch.finished++;
        this.batch.finishedSeconds += d;
        const wall = (Date.now() - started) / 1000;
        process.stderr.write(`${name}: 100% done in ${wall.toFixed(1)} s (${(d / wall).toFixed(2)}x real time)\n`);
      },
      stop: () => {
        this.batch.active.delete(handle);
        this.batch.finished++;
      },
    };
    this.batch.active.set(handle, { name, p: null });
    return handle;
  }

  log(line: string): void {
    process.stderr.write(line);
  }

  close(): void {}
}
