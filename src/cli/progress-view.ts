import cliProgress from 'cli-progress';
import type { PipelineProgress } from '../pipeline/transcribe.js';

export interface ProgressView {
  update(p: PipelineProgress): void;
  finish(durationSeconds: number): void;
  stop(): void;
}

const fmt = (s: number | null) =>
  s === null || !Number.isFinite(s) ? '--:--' : new Date(Math.round(s) * 1000).toISOString().slice(11, 19);

/** A bar on a terminal; elsewhere (logs, CI) a plain line at most every 5 s. Both on stderr. */
export function createProgressView(name: string): ProgressView {
  const started = Date.now();
  const eta = (p: PipelineProgress) => (p.speed ? (p.durationSeconds - p.doneSeconds) / p.speed : null);
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: `${name} [{bar}] {percentage}% | {speed}x real time | ETA {eta_t} | {stage}`,
        hideCursor: true,
        etaBuffer: 1,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(100, 0, { speed: '-', eta_t: '--:--', stage: 'decoding' });
    return {
      update: (p) =>
        bar.update(p.durationSeconds > 0 ? Math.floor((100 * p.doneSeconds) / p.durationSeconds) : 0, {
          speed: p.speed ? p.speed.toFixed(1) : '-',
          eta_t: fmt(eta(p)),
          stage: p.stage,
        }),
      finish: () => {
        bar.update(100, { stage: 'done', eta_t: '00:00:00' });
        bar.stop();
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update: (p) => {
      if (Date.now() - last < 5000) return;
      last = Date.now();
      const pct = p.durationSeconds > 0 ? ((100 * p.doneSeconds) / p.durationSeconds).toFixed(1) : '0.0';
      process.stderr.write(
        `${name}: ${pct}% ${p.stage} speed=${p.speed ? p.speed.toFixed(2) : '-'}x eta=${fmt(eta(p))}\n`,
      );
    },
    finish: (d) => {
      const wall = (Date.now() - started) / 1000;
      process.stderr.write(`${name}: 100% done in ${wall.toFixed(1)} s (${(d / wall).toFixed(2)}x real time)\n`);
    },
    stop: () => undefined,
  };
}
