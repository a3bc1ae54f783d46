/** Display helpers. Pure functions, so the same numbers read the same everywhere in the UI. */

/** 75.4 → "1:15", 3725 → "1:02:05". */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** A duration in words-ish: "45 s", "12 min", "2 h 5 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Audio seconds per wall second, as "6.1× real time". */
export function formatSpeed(speed: number): string {
  return `${speed.toFixed(speed < 10 ? 1 : 0)}× real time`;
}

export function formatPercent(percent: number): string {
  return `${Math.floor(Math.min(100, Math.max(0, percent)))}%`;
}

export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** "lecture.final.mp3" → "lecture.final" (for naming downloads after the upload). */
export function baseName(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(0, dot) : fileName;
}

/**
 * The server stores every upload as `input.<ext>` and ffmpeg's messages name that file; people know
 * it by the name they uploaded, so messages about a task say that instead.
 */
export function withSourceName(message: string, sourceName: string): string {
  return message.replace(/\binput\.[A-Za-z0-9]{1,8}\b/g, sourceName);
}
