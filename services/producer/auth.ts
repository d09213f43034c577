import type { IncomingMessage } from 'node:http';
import type { Knex } from 'knex';
import { hashToken, type Player } from '../../common/players.js';
import { ratingOf } from '../../core/ratings.js';

export interface SignedIn {
  player: Player;
  ratings: Record<string, number>;
}

/**
 * The player a WebSocket upgrade speaks for, from `?token=`, with their current rating per mode
 * (one query: the join path then needs none); undefined for a missing or wrong token.
 */
export async function authenticate(db: Knex, req: IncomingMessage): Promise<SignedIn | undefined> {
  const token = new URL(req.url ?? '/', 'http://gateway').searchParams.get('token');
  if (!token || token.length > 128) return undefined;
  const row = await db('players')
    .where({ token_hash: hashToken(token) })
    .first(
      'id',
      'name',
      'rating',
      db.raw("(select coalesce(json_object_agg(r.mode, r.mu), '{}'::json) from ratings r where r.player_id = players.id::text) as ratings"),
    );
  if (!row) return undefined;
  const ratings = Object.fromEntries(Object.entries(row.ratings as Record<string, number>).map(([mode, mu]) => [mode, ratingOf({ mu, sigma: 0 })]));
  return { player: { id: row.id, name: row.name, rating: row.rating }, ratings };
}
