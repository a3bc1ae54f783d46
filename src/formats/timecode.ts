/**
 * Converts seconds to whole milliseconds, the resolution of SRT and WebVTT timestamps.
 *
 * Rounds half up. The product is first cut to 15 significant digits so that binary noise does not
 * decide the rounding (1.0005 s is stored as 1000.4999999999999 ms and must still give 1001).
 * Negative times clamp to 0: neither format can express them.
 */
export function secondsToMilliseconds(seconds: number): number {
  if (!Number.isFinite(seconds)) {
    throw new RangeError(`time must be a finite number of seconds, got ${seconds}`);
  }
  const ms = Math.round(Number((seconds * 1000).toPrecision(15)));
  return Math.max(ms, 0);
}

/**
 * Formats a time as `HH:MM:SS<sep>mmm`. Works on integer milliseconds, so rounding can never yield
 * 60 seconds or 1000 ms; hours grow past two digits rather than wrapping (both formats allow it).
 */
export function formatTimecode(seconds: number, fractionSeparator: ',' | '.'): string {
  const total = secondsToMilliseconds(seconds);
  const ms = total % 1000;
  const s = Math.floor(total / 1000) % 60;
  const m = Math.floor(total / 60_000) % 60;
  const h = Math.floor(total / 3_600_000);
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${fractionSeparator}${pad(ms, 3)}`;
}

/** SubRip timestamp: `HH:MM:SS,mmm`. */
export function formatSrtTimecode(seconds: number): string {
  return formatTimecode(seconds, ',');
}

/** WebVTT timestamp: `HH:MM:SS.mmm` (hours always written, which every WebVTT parser accepts). */
export function formatVttTimecode(seconds: number): string {
  return formatTimecode(seconds, '.');
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
