import type { Segment } from '../api/types';
import { formatClock } from '../lib/format';

interface Props {
  segments: readonly Segment[];
  duration: number;
  time: number;
  /** Seconds already transcribed while the task runs (shaded); null when finished. */
  doneSeconds: number | null;
  matches: ReadonlySet<number>;
  /** `play`: a click seeks and plays; keys only move the position, leaving play/pause as it was. */
  onSeek(seconds: number, play: boolean): void;
}

const WIDTH = 1000;
const STEP_SECONDS = 5;
const PAGE_SECONDS = 30;

/**
 * An overview of the whole recording: speech regions (from segment times), search matches and the
 * playhead. It is a slider: click anywhere to seek; arrows move 5 s, Page keys 30 s, Home/End to the ends.
 */
export function Timeline({ segments, duration, time, doneSeconds, matches, onSeek }: Props) {
  const total = Math.max(duration, 0.001);
  const x = (t: number) => (Math.min(Math.max(t, 0), total) / total) * WIDTH;

  const seekFromPointer = (e: MouseEvent) => {
    const box = (e.currentTarget as HTMLElement).getBoundingClientRect();
    onSeek(((e.clientX - box.left) / box.width) * total, true);
  };
  const onKey = (e: KeyboardEvent) => {
    const moves: Record<string, number> = {
      ArrowLeft: time - STEP_SECONDS,
      ArrowDown: time - STEP_SECONDS,
      ArrowRight: time + STEP_SECONDS,
      ArrowUp: time + STEP_SECONDS,
      PageDown: time - PAGE_SECONDS,
      PageUp: time + PAGE_SECONDS,
      Home: 0,
      End: total,
    };
    const target = moves[e.key];
    if (target === undefined) return;
    e.preventDefault();
    onSeek(Math.min(Math.max(target, 0), total), false);
  };

  return (
    <div
      class="timeline"
      role="slider"
      tabIndex={0}
      aria-label="Recording overview: speech regions and position"
      aria-valuemin={0}
      aria-valuemax={Math.round(total)}
      aria-valuenow={Math.round(time)}
      aria-valuetext={`${formatClock(time)} of ${formatClock(total)}`}
      onClick={seekFromPointer}
      onKeyDown={onKey}
      data-testid="timeline"
    >
      <svg viewBox={`0 0 ${WIDTH} 40`} preserveAspectRatio="none" aria-hidden="true" focusable="false">
        <rect class="timeline__track" x={0} y={0} width={WIDTH} height={40} />
        {doneSeconds !== null && <rect class="timeline__done" x={0} y={0} width={x(doneSeconds)} height={40} />}
        {segments.map((s, i) => (
          <rect
            key={s.start}
            class={matches.has(i) ? 'timeline__speech timeline__speech--match' : 'timeline__speech'}
            x={x(s.start)}
            y={8}
            width={Math.max(1, x(s.end) - x(s.start))}
            height={24}
          />
        ))}
        <rect class="timeline__head" x={x(time) - 1.5} y={0} width={3} height={40} />
      </svg>
      <div class="timeline__labels" aria-hidden="true">
        <span>{formatClock(time)}</span>
        <span>{formatClock(total)}</span>
      </div>
    </div>
  );
}
