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

/** A name that already has a live key. */
export class DuplicateServerName extends Error {
  override name = 'DuplicateServerName';
}

const toKey = (row: { id: string; name: string; created_at: Date; revoked_at: Date | null }): ServerKey => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at.toISOString(),
  revokedAt: row.revoked_at?.toISOString() ?? null,
});

/** Creates a key for a game server: 256 random bits, returned here once, stored only as a hash. */
export async function addServerKey(db: Knex, name: string): Promise<{ id: string; name: string; key: string }> {
  const key = randomBytes(32).toString('base64url');
  try {
    const [row] = await db('server_keys')
      .insert({ name, key_hash: hashToken(key) })
      .returning(['id', 'name']);
    return { id: (row as { id: string }).id, name, key };
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw new DuplicateServerName(`a live key named ${name} already exists; revoke it first`);
    throw error;
  }
}

export async function listServerKeys(db: Knex): Promise<ServerKey[]> {
  const rows = await db('server_keys').select('id', 'name', 'created_at', 'revoked_at').orderBy('created_at');
  return rows.map(toKey);
}

/** Revokes the live key of `name`; undefined when there is none. Effective at once: every request reads this table. */
export async function revokeServerKey(db: Knex, name: string): Promise<ServerKey | undefined> {
  const [row] = await db('server_keys')
    .where({ name })
    .whereNull('revoked_at')
    .update({ revoked_at: db.fn.now() })
    .returning(['id', 'name', 'created_at', 'revoked_at']);
  return row ? toKey(row) : undefined;
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
