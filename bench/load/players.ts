import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { hashToken } from '../../common/players.js';
import { normal, seededRandom } from '../../core/seeded-random.js';

export interface LoadPlayer {
  id: string;
  name: string;
  rating: number;
  token: string;
}

const CHUNK = 2000;

/**
 * Creates `count` players in one multi-row insert per chunk, their tokens kept here (the
 * database holds only hashes). Ratings are normal around 1500, sd 300, from `seed`.
 */
export async function createLoadPlayers(db: Knex, count: number, seed: number, tag: string): Promise<LoadPlayer[]> {
  const random = seededRandom(seed);
  const players: LoadPlayer[] = [];
  for (let start = 0; start < count; start += CHUNK) {
    const batch = Array.from({ length: Math.min(CHUNK, count - start) }, (_, offset) => ({
      name: `${tag}_${start + offset}`,
      rating: Math.max(0, Math.min(10_000, Math.round(normal(random, 1500, 300)))),
      token: randomBytes(24).toString('base64url'),
    }));
    const rows = (await db('players')
      .insert(batch.map(({ name, rating, token }) => ({ name, rating, token_hash: hashToken(token) })))
      .returning(['id', 'name'])) as { id: string; name: string }[];
    const idByName = new Map(rows.map((row) => [row.name, row.id]));
    for (const player of batch) players.push({ ...player, id: idByName.get(player.name)! });
  }
  return players;
}

/** Removes the players a run created (their names start with the run's tag). */
export async function removeLoadPlayers(db: Knex, tag: string): Promise<void> {
  await db('players').where('name', 'like', `${tag}\\_%`).delete();
}
