import { randomUUID } from 'node:crypto';
import type { Role, User } from '../../core/user.js';
import { newWebhookSecret } from '../../core/webhook.js';
import { userFromRow } from '../task.rows.js';
import type { SqliteDb } from './sqlite.db.js';

/** The users table (API tokens are stored as hashes only). */

/** Rejects with ConflictError('user_exists') when the name or token hash is taken. */
export function createUser(db: SqliteDb, name: string, role: Role, tokenHash: string, now: number): User {
  const row = db.write(() =>
    db.get(
      'INSERT INTO users (id, name, role, token_hash, created_at, webhook_secret) VALUES (?, ?, ?, ?, ?, ?) RETURNING *',
      [randomUUID(), name, role, tokenHash, now, newWebhookSecret()],
    ),
  );
  if (!row) throw new Error('INSERT … RETURNING returned no row');
  return userFromRow(row);
}

export function findUserByTokenHash(db: SqliteDb, tokenHash: string): User | null {
  const row = db.get('SELECT * FROM users WHERE token_hash = ?', [tokenHash]);
  return row ? userFromRow(row) : null;
}

/** All users, oldest first. */
export function listUsers(db: SqliteDb): User[] {
  return db.all('SELECT * FROM users ORDER BY created_at, name').map(userFromRow);
}
