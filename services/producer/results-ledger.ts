import type { Knex } from 'knex';
import type { RoomEvent } from '../../common/messages.js';
import { placementsKey, type Placement, type RatedTeam } from '../../core/placements.js';
import { initialSkill, rateTeams, ratingOf, type Skill } from '../../core/ratings.js';

/** The `result.v1` message on `matchq.results` (contract, "Ratings"), as kept in `results.event`. */
export interface ResultEvent {
  v: 1;
  roomId: string;
  mode: string;
  at: string;
  placements: { playerId: string; rank: number; before: number; after: number }[];
}
export const RESULT_EVENT_TYPE = 'result.v1';

export type Applied = { kind: 'applied'; event: ResultEvent } | { kind: 'same'; event: ResultEvent } | { kind: 'conflict' };

/** The API's 200 answer, derived from the event so a repeat gets exactly the same one. */
export const answerOf = (event: ResultEvent) => ({
  roomId: event.roomId,
  mode: event.mode,
  changes: event.placements.map(({ playerId, before, after }) => ({ playerId, before, after })),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The room event the recorder wrote, or undefined. */
export async function recordedRoom(db: Knex, roomId: string): Promise<RoomEvent | undefined> {
  if (!UUID.test(roomId)) return undefined;
  const row = await db('rooms').where({ id: roomId }).first('event');
  return row?.event as RoomEvent | undefined;
}

async function existing(db: Knex, roomId: string, key: string): Promise<Applied | undefined> {
  const row = await db('results').where({ room_id: roomId }).first('placements_key', 'event');
  if (!row) return undefined;
  return row.placements_key === key ? { kind: 'same', event: row.event as ResultEvent } : { kind: 'conflict' };
}

/**
 * Base ratings (`players.rating`) of the room's players; a player missing from the table
 * (a room published by hand) starts from the rating the room carries.
 */
async function baseRatings(trx: Knex.Transaction, room: RoomEvent): Promise<Map<string, number>> {
  const bases = new Map(room.players.map((player) => [player.playerId, player.rating]));
  const ids = room.players.map((player) => player.playerId).filter((id) => UUID.test(id));
  if (ids.length > 0) for (const row of await trx('players').whereIn('id', ids).select('id', 'rating')) bases.set(row.id as string, row.rating as number);
  return bases;
}

/**
 * Applies a checked result once per room, in one transaction: the rating rows of the room's
 * players are locked (in player order, so two rooms sharing players cannot deadlock), the
 * result row is inserted under its primary key (a concurrent post of the same room waits on
 * it, then finds it), and only a new row moves ratings and writes their history.
 */
export async function applyResult(
  db: Knex,
  room: RoomEvent,
  teams: RatedTeam[],
  placements: Placement[],
  serverKeyId: string | null,
  now: Date,
): Promise<Applied> {
  const key = placementsKey(placements);
  const seen = await existing(db, room.id, key);
  if (seen) return seen;
  const mode = room.mode;
  const ids = [...new Set(room.players.map((player) => player.playerId))].sort();
  return db.transaction(async (trx) => {
    const bases = await baseRatings(trx, room);
    await trx('ratings')
      .insert(ids.map((id) => ({ player_id: id, mode, ...initialSkill(bases.get(id)!), games: 0 })))
      .onConflict(['player_id', 'mode'])
      .ignore();
    const rows = await trx('ratings').where({ mode }).whereIn('player_id', ids).orderBy('player_id').forUpdate().select('player_id', 'mu', 'sigma');
    const skills = new Map<string, Skill>(rows.map((row) => [row.player_id as string, { mu: row.mu as number, sigma: row.sigma as number }]));

    const after = rateTeams(teams, (id) => skills.get(id)!);
    const event: ResultEvent = {
      v: 1,
      roomId: room.id,
      mode,
      at: now.toISOString(),
      placements: placements.map(({ playerId, rank }) => ({ playerId, rank, before: ratingOf(skills.get(playerId)!), after: ratingOf(after.get(playerId)!) })),
    };

    const inserted = await trx('results')
      .insert({ room_id: room.id, mode, placements_key: key, event: JSON.stringify(event), server_key_id: serverKeyId, at: now })
      .onConflict('room_id')
      .ignore()
      .returning('room_id');
    // Another post of this room committed while we waited for the locks: compare with it, change nothing.
    if (inserted.length === 0) return (await existing(trx, room.id, key))!;

    for (const id of ids) {
      const skill = after.get(id)!;
      await trx('ratings')
        .where({ player_id: id, mode })
        .update({ mu: skill.mu, sigma: skill.sigma, games: trx.raw('games + 1'), updated_at: now });
    }
    await trx('rating_history').insert(
      placements.map(({ playerId, rank }) => {
        const before = skills.get(playerId)!,
          next = after.get(playerId)!;
        return {
          room_id: room.id,
          player_id: playerId,
          mode,
          rank,
          before: ratingOf(before),
          after: ratingOf(next),
          mu_before: before.mu,
          sigma_before: before.sigma,
          mu_after: next.mu,
          sigma_after: next.sigma,
          at: now,
        };
      }),
    );
    return { kind: 'applied', event } as const;
  });
}

/** Current ratings (round μ) per mode of some players: what a gateway's sessions hold. */
export async function ratingsOf(db: Knex, playerIds: string[]): Promise<Map<string, Record<string, number>>> {
  const byPlayer = new Map<string, Record<string, number>>();
  if (playerIds.length === 0) return byPlayer;
  for (const row of await db('ratings').whereIn('player_id', playerIds).select('player_id', 'mode', 'mu')) {
    const ratings = byPlayer.get(row.player_id as string) ?? {};
    ratings[row.mode as string] = Math.round(row.mu as number);
    byPlayer.set(row.player_id as string, ratings);
  }
  return byPlayer;
}
