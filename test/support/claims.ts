import { Redis } from 'ioredis';
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
    const [lost] = await createTicketStore(redis, namespace).claimRooms([
      { mode: room.mode, region: room.region, roomId: room.id, ticketIds: room.players.map((player) => String(player.ticketId)), json: JSON.stringify(room) },
    ]);
    if (lost!.length > 0) throw new Error(`room ${room.id} could not be claimed: tickets ${lost!.join(', ')} are no longer queued`);
  } finally {
    redis.disconnect();
  }
}
