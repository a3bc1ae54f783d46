import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The file and node flags to start a sibling module as a child process: the compiled `.js` when
 * running from dist/, or the `.ts` source through tsx when running from src/ (tests).
 */
export function childEntry(url: URL): { file: string; execArgv: string[] } {
  const file = fileURLToPath(url);
  if (existsSync(file)) return { file, execArgv: [] };
  return { file: file.replace(/\.js$/, '.ts'), execArgv: ['--import', 'tsx'] };
}
