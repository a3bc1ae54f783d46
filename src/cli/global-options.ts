import type { Command } from 'commander';
import { type Config, type ConfigOverrides, loadConfig } from '../config/config.js';

/** Config from the root command's global flags plus a subcommand's own flags. */
export function configFrom(cmd: Command, own: ConfigOverrides = {}): Config {
  const g = cmd.optsWithGlobals<{ dataDir?: string; db?: string; logLevel?: string }>();
  const defined = Object.fromEntries(Object.entries(own).filter(([, v]) => v !== undefined));
  return loadConfig({ dataDir: g.dataDir, db: g.db, logLevel: g.logLevel, ...defined });
}
