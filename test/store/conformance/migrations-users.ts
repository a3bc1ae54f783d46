import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../../src/core/errors/index.js';
import type { ConformanceContext } from './context.js';
import { ADMIN } from './fixtures.js';

/** Migrations and user accounts. */
export function migrationsUsersConformance(ctx: ConformanceContext): void {
  describe('migrations', () => {
    it('migrate() is idempotent and keeps data', async () => {
      const { store, open, enqueue } = ctx;
      const task = await enqueue();
      await store.migrate();
      const other = open();
      await Promise.all([other.migrate(), store.migrate()]);
      expect(await other.get(task.id, ADMIN)).toEqual(task);
    });
  });

  describe('users', () => {
    it('creates, finds by token hash and lists users; names and token hashes are unique', async () => {
      const { store, clock } = ctx;
      const alice = await store.createUser('alice', 'user', 'hash-a');
      clock.advance(1);
      const root = await store.createUser('root', 'admin', 'hash-r');
      expect(alice).toMatchObject({ name: 'alice', role: 'user', createdAt: clock.t - 1 });
      expect(typeof alice.id).toBe('string');
      expect(await store.findUserByTokenHash('hash-r')).toEqual(root);
      expect(await store.findUserByTokenHash('nope')).toBeNull();
      expect(await store.listUsers()).toEqual([alice, root]);
      await expect(store.createUser('alice', 'user', 'hash-x')).rejects.toMatchObject({ code: 'user_exists' });
      await expect(store.createUser('carol', 'user', 'hash-a')).rejects.toBeInstanceOf(ConflictError);
      expect(await store.listUsers()).toHaveLength(2);
    });
  });
}
