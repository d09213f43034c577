import { decode, roomEvent, type RoomEvent } from './messages.js';
import type { RedisKeys } from './names.js';
import type { RedisClient } from './redis.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The room event Redis keeps (an hour) for a final room that is announced, or undefined: the
 * server API's answer for a room the recorder has not written yet. The key is written only by
 * the scripts that claim a room (claim-room, step-room on the last accept) and by
 * finish-allocation, and a claimed room is published until the broker confirms it; so without
 * an allocator a kept room is announced, and with one only once it has its `server` (before
 * that it may still be released, as the gateway's reconnect path also reads it). The key is
 * per pool and the API knows only the id: one GET per pool of the match config.
 */
export async function announcedRoom(
  redis: RedisClient,
  keys: Pick<RedisKeys, 'room'>,
  pools: readonly { mode: string; region: string }[],
  roomId: string,
  withAllocator: boolean,
): Promise<RoomEvent | undefined> {
  if (!UUID.test(roomId)) return undefined;
  const kept = await Promise.all(pools.map(({ mode, region }) => redis.get(keys.room(mode, region, roomId))));
  const json = kept.find((value) => value !== null);
  if (!json) return undefined;
  const room = decode(roomEvent, Buffer.from(json));
  return withAllocator && !room.server ? undefined : room;
}
