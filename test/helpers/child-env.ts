/**
 * The environment every process a test starts gets: only what finding programs and files needs,
 * from the machine, and then exactly the settings the test names. Nothing else is inherited: the
 * machine's own EARSHOT_* variables (a developer's EARSHOT_DB, EARSHOT_CONCURRENCY...), NODE_OPTIONS
 * and the runner's VITEST_* would otherwise change what a child does depending on who runs the tests.
 */

/**
 * PATH finds ffmpeg, ffprobe and flite; HOME and TMPDIR place caches and temp files where this
 * process places them (the audio fixtures live under the temp dir); LANG keeps tools' output stable.
 */
const FROM_MACHINE = ['PATH', 'HOME', 'TMPDIR', 'LANG'] as const;

/** A clean, explicit environment: the few machine variables above plus `settings` (numbers stringified). */
export function childEnv(settings: Record<string, string | number> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of FROM_MACHINE) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(settings)) env[name] = String(value);
  return env;
}
