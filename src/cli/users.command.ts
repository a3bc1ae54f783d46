import type { Command } from 'commander';
import { storeUrl } from '../config/config.js';
import { createLogger } from '../core/logger.js';
import { generateToken, hashToken } from '../core/token.js';
import { createStore } from '../store/create-store.js';
import { configFrom } from './global-options.js';

export function registerUsersCommand(program: Command): void {
  const users = program.command('users').description('manage API users and their tokens');
  users
    .command('add <name>')
    .description('create a user and print its API token (the last word of the output)')
    .option('--admin', 'give the user the admin role')
    .action(async (name: string, opts: { admin?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const store = await createStore(storeUrl(config), { log: createLogger('error') });
      try {
        await store.migrate();
        const token = generateToken();
        const user = await store.createUser(name, opts.admin ? 'admin' : 'user', hashToken(token));
        // The token is shown once and stored only as a hash; it is the last word so scripts can `awk '{print $NF}'`.
        process.stdout.write(`created ${user.role} ${user.name}; token: ${token}\n`);
      } finally {
        await store.close();
      }
    });
  users
    .command('list')
    .description('list users')
    .action(async (_opts: unknown, cmd: Command) => {
      const config = configFrom(cmd);
      const store = await createStore(storeUrl(config), { log: createLogger('error') });
      try {
        await store.migrate();
        for (const u of await store.listUsers()) process.stdout.write(`${u.name}\t${u.role}\t${u.id}\n`);
      } finally {
        await store.close();
      }
    });
}
