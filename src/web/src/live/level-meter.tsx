/** Below this the meter is empty: room noise, not speech. */
const FLOOR_DB = -60;

/** RMS (0..1) → bar fill 0..1 on a decibel scale, which follows loudness as people hear it. */
export function levelFill(rms: number): number {
  if (rms <= 0) return 0;
  const db = 20 * Math.log10(rms);
  return Math.max(0, Math.min(1, (db - FLOOR_DB) / -FLOOR_DB));
}

/**
 * The microphone's level, so a person sees that they are heard before any words come back. Visual
 * only (hidden from screen readers, which get the session state instead).
 */
export function LevelMeter({ level, active }: { level: number; active: boolean }) {
  const fill = active ? levelFill(level) : 0;
  return (
    <div class={`level-meter${active ? ' level-meter--active' : ''}`} aria-hidden="true" data-testid="live-level">
      <div class="level-meter__bar" style={{ transform: `scaleX(${fill.toFixed(3)})` }} data-level={fill.toFixed(3)} />
    </div>
  );
}
