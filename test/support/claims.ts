import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisKeys } from '../../common/names.js';
import { createProposalStore } from '../../common/proposal-store.js';
import { createTicketStore } from '../../common/ticket-store.js';
import { REDIS_URL } from './namespace.js';

interface RoomLike {
  id: string;
  mode: string;
  region: string;
  players: Record<string, unknown>[];
}

/**
 * Claims a hand-made room in Redis exactly as a matcher does (claim-room.lua), so the notifier
 * and the recorder accept it; a room nobody claims is forged and goes to the dead queue.
 */
export async function claimAsMatcher(namespace: string, room: RoomLike, redisUrl = REDIS_URL): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    const store = createTicketStore(redis, redisKeys(namespace));
    // Under the pool's epoch, read (or written when missing) as a matcher does.
    const epoch = await store.epoch(room.mode, room.region, `${randomUUID()} ${Date.now()}`);
    const [lost] = await store.claimRooms(
      [{ mode: room.mode, region: room.region, roomId: room.id, ticketIds: room.players.map((player) => String(player.ticketId)), json: JSON.stringify(room) }],
      epoch,
    );
    if (lost!.length > 0) throw new Error(`room ${room.id} could not be claimed: tickets ${lost!.join(', ')} are no longer queued`);
  } finally {
    redis.disconnect();
  }
}

/** Ends a ticket by its timeout in Redis exactly as a matcher does (expire-tickets.lua), so the notifier routes its timeout. */
export async function expireAsMatcher(namespace: string, ticket: { mode: string; region: string; ticketId: string }, redisUrl = REDIS_URL): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    const [ended] = await createTicketStore(redis, redisKeys(namespace)).expire(ticket.mode, ticket.region, [ticket.ticketId]);
    if (!ended) throw new Error(`ticket ${ticket.ticketId} could not be ended by its timeout: it is no longer queued`);
  } finally {
    redis.disconnect();
  }
}

/**
 * Proposes a ready-check room of `player`'s ticket and two strangers in Redis exactly as a matcher
 * does (propose-room.lua, under the pool's epoch); returns the room's id. The strangers' tickets
 * are missing in Redis, which counts as queued.
 */
export async function proposeAsMatcher(
  namespace: string,
  pool: { mode: string; region: string },
  /** The room's real players (a party's members each on the party's ticket); strangers fill it to three seats. */
  players: { playerId: string; ticketId: string } | { playerId: string; ticketId: string }[],
  deadline: number,
  redisUrl = REDIS_URL,
): Promise<string> {
  const redis = new Redis(redisUrl);
  try {
    const keys = redisKeys(namespace);
    const real = Array.isArray(players) ? players : [players];
    const strangers = Array.from({ length: Math.max(0, 3 - real.length) }, () => randomUUID());
    const seats = [...real, ...strangers.map((id) => ({ playerId: id, ticketId: id }))];
    const roomId = randomUUID();
    const room = {
      v: 1,
      id: roomId,
      ...pool,
      createdAt: new Date().toISOString(),
      spread: 0,
      players: seats.map((seat) => ({ ...seat, name: 'x', rating: 1500, team: 0, waitedMs: 0 })),
    };
    const epoch = await createTicketStore(redis, keys).epoch(pool.mode, pool.region, `${randomUUID()} ${Date.now()}`);
    const [lost] = await createProposalStore(redis, keys).propose(
      [{ ...pool, roomId, ticketIds: [...new Set(seats.map((seat) => seat.ticketId))], seats, json: JSON.stringify(room), deadline }],
      epoch,
    );
    if (lost!.length > 0) throw new Error(`room ${roomId} could not be proposed: tickets ${lost!.join(', ')} are no longer queued`);
    return roomId;
  } finally {
    redis.disconnect();
  }
}
