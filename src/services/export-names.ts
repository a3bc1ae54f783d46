/**
 * File names for entries of a transcript archive: safe on every system that may unpack it, and
 * distinct (case-insensitively, as on Windows and macOS) within one archive.
 */

/** Longest entry stem, in characters; with " (NN)" and the extension it stays well under 255 bytes. */
const MAX_STEM_CHARS = 120;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes.
const UNSAFE = /[\u0000-\u001f\u007f<>:"/\\|?*]+/g;
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

/** `name` made safe as a file name stem: no path separators, control or reserved characters. */
export function safeStem(name: string): string {
  let stem = name.replace(UNSAFE, '_').replace(/\s+/g, ' ').trim();
  stem = Array.from(stem).slice(0, MAX_STEM_CHARS).join('');
  // Windows drops trailing dots and spaces; a leading dot hides the file.
  stem = stem.replace(/^[.\s]+|[.\s]+$/g, '');
  if (stem === '') return 'transcript';
  return RESERVED.test(stem) ? `_${stem}` : stem;
}

/** Hands out distinct names: `name.srt`, then `name (2).srt`, `name (3).srt`… */
export class EntryNames {
  private readonly taken = new Set<string>();

  /** Names to keep free (compared case-insensitively). */
  constructor(reserved: readonly string[] = []) {
    for (const name of reserved) this.taken.add(name.toLowerCase());
  }

  next(stem: string, extension: string): string {
    const base = safeStem(stem);
    for (let n = 1; ; n++) {
      const name = n === 1 ? `${base}.${extension}` : `${base} (${n}).${extension}`;
      if (!this.taken.has(name.toLowerCase())) {
        this.taken.add(name.toLowerCase());
        return name;
      }
    }
  }
}
