import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { SAFE_ID } from './config.js';
import { hashToken } from './players.js';

export interface ServerKey {
  id: string;
  name: string;
  createdAt: string;
  revokedAt: string | null;
}

/** Names a game server may go by: what an operator would type, safe in a log line. */
export const SERVER_NAME = SAFE_ID;

const toKey = (row: { id: string; name: string; created_at: Date; revoked_at: Date | null }): ServerKey => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at.toISOString(),
  revokedAt: row.revoked_at?.toISOString() ?? null,
});

/** Creates a key for a game server: 256 random bits, returned here once, stored only as a hash. A name may hold several live keys (rotation). */
export async function addServerKey(db: Knex, name: string): Promise<{ id: string; name: string; key: string }> {
  const key = randomBytes(32).toString('base64url');
  const [row] = await db('server_keys')
    .insert({ name, key_hash: hashToken(key) })
    .returning(['id', 'name']);
  return { id: (row as { id: string }).id, name, key };
}

export async function listServerKeys(db: Knex): Promise<ServerKey[]> {
  const rows = await db('server_keys').select('id', 'name', 'created_at', 'revoked_at').orderBy('created_at');
  return rows.map(toKey);
}

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Revokes the live key with this id, or every live key of this name (none: an empty list), so a
 * rotation revokes the old key by its id and keeps the new one. Effective at once: every request
 * reads this table.
 */
export async function revokeServerKeys(db: Knex, nameOrId: string): Promise<ServerKey[]> {
  const rows = await db('server_keys')
    .where(KEY_ID.test(nameOrId) ? { id: nameOrId } : { name: nameOrId })
    .whereNull('revoked_at')
    .update({ revoked_at: db.fn.now() })
    .returning(['id', 'name', 'created_at', 'revoked_at']);
  return rows.map(toKey).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** The live server a bearer key speaks for, or undefined (missing, wrong or revoked). */
export async function serverByKey(db: Knex, key: string): Promise<{ id: string; name: string } | undefined> {
  if (!key || key.length > 128) return undefined;
  return db('server_keys')
    .select('id', 'name')
    .where({ key_hash: hashToken(key) })
    .whereNull('revoked_at')
    .first();
}
