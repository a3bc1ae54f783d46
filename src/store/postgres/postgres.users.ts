import { randomUUID } from 'node:crypto';
import type { Role, User } from '../../core/user.js';
import { newWebhookSecret } from '../../core/webhook.js';
import { userFromRow } from '../task.rows.js';
import type { PgDb } from './postgres.db.js';

/** The users table (API tokens are stored as hashes only). */

/** Rejects with ConflictError('user_exists') when the name or token hash is taken. */
export async function createUser(db: PgDb, name: string, role: Role, tokenHash: string, now: number): Promise<User> {
  const row = await db.get(
    `INSERT INTO ${db.t.users} (id, name, role, token_hash, created_at, webhook_secret)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [randomUUID(), name, role, tokenHash, now, newWebhookSecret()],
  );
  if (!row) throw new Error('INSERT … RETURNING returned no row');
  return userFromRow(row);
}

export async function findUserByTokenHash(db: PgDb, tokenHash: string): Promise<User | null> {
  const row = await db.get(`SELECT * FROM ${db.t.users} WHERE token_hash = $1`, [tokenHash]);
  return row ? userFromRow(row) : null;
}

/** All users, oldest first. */
export async function listUsers(db: PgDb): Promise<User[]> {
  return (await db.all(`SELECT * FROM ${db.t.users} ORDER BY created_at, name`)).map(userFromRow);
}
