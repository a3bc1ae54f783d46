/** Exit codes scripts can rely on (documented in the README). */
export const EXIT = {
  ok: 0,
  /** At least one input could not be transcribed (bad or missing file, engine failure). */
  failure: 1,
  /** Bad command line or configuration. */
  usage: 2,
  /** Interrupted (SIGINT/SIGTERM) before finishing. */
  interrupted: 130,
} as const;
