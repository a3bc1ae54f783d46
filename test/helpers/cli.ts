import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childEnv } from './child-env.js';

export const CLI = fileURLToPath(new URL('../../bin/earshot.js', import.meta.url));

export interface CliResult {
  /** Exit code; null when a signal ended the process (see `signal`). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI (`npm run build` first: the test command does) and collects its output. The
 * process gets a clean environment (see childEnv): JSON logs plus exactly the `settings` given.
 */
export function runCli(args: string[], settings: Record<string, string | number> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: childEnv({ EARSHOT_LOG_FORMAT: 'json', ...settings }), maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err === null) resolve({ code: 0, signal: null, stdout, stderr });
        else {
          const code = typeof err.code === 'number' ? err.code : null;
          resolve({ code, signal: err.signal ?? null, stdout, stderr });
        }
      },
    );
  });
}
