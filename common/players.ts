import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

export interface Player {
  id: string;
  name: string;
  rating: number;
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Creates a player; the token is returned here once and only its hash is stored. */
export async function addPlayer(db: Knex, name: string, rating: number): Promise<Player & { token: string }> {
  const token = randomBytes(32).toString('base64url');
  const [row] = await db('players')
    .insert({ name, rating, token_hash: hashToken(token) })
    .returning(['id', 'name', 'rating']);
  return { ...(row as Player), token };
}

export async function playerByToken(db: Knex, token: string): Promise<Player | undefined> {
  if (!token || token.length > 128) return undefined;
  return db('players')
    .select('id', 'name', 'rating')
    .where({ token_hash: hashToken(token) })
    .first();
}
