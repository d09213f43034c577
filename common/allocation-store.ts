import { readFileSync } from 'node:fs';
import { MAX_ALLOCATION_FAILURES, type AllocationPhase } from '../core/room-allocation.js';
import type { RedisKeys } from './names.js';
import type { RedisClient } from './redis.js';
import { OUTCOME_TTL_SECONDS } from './ticket-store.js';

const script = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

type Reply = [string, number, number, string, string, string, string];

interface AllocationCommands {
  beginAllocation(key: string, holder: string, now: string, leaseMs: string, ttl: string): Promise<Reply>;
  finishAllocation(record: string, room: string, server: string, json: string, ttl: string): Promise<Reply>;
  failAllocation(keyCount: number, ...args: string[]): Promise<Reply>;
  yieldAllocation(record: string, starts: string): Promise<number>;
}

/** What a script decided, and the record as it stands after it. */
export interface AllocationAnswer {
  action: 'allocate' | 'busy' | 'stale' | Exclude<AllocationPhase, 'allocating'>;
  starts: number;
  leaseUntil: number;
  /** The server JSON that stands, once announced. */
  server: string;
  reason: string;
  requeued: string[];
  ended: string[];
}

/** The room an allocation is about: where its keys live and which tickets it holds. */
export interface AllocationRoom {
  mode: string;
  region: string;
  roomId: string;
  ticketIds: string[];
}

const words = (text: string) => text.split(' ').filter(Boolean);
const answerOf = ([action, starts, leaseUntil, server, reason, requeued, ended]: Reply): AllocationAnswer => ({
  action: action as AllocationAnswer['action'],
  starts: Number(starts),
  leaseUntil: Number(leaseUntil),
  server,
  reason,
  requeued: words(requeued),
  ended: words(ended),
});

/**
 * A room's allocation in Redis, at most one per room whatever crashes: every step is one
 * Lua script (common/lua/*-allocation.lua), the mirror of core/room-allocation.ts, on keys
 * in the room's pool slot, so the record and the tickets change together.
 */
export function createAllocationStore(redis: RedisClient, keys: RedisKeys) {
  const commands = redis as unknown as RedisClient & AllocationCommands;
  if (!('beginAllocation' in commands)) {
    redis.defineCommand('beginAllocation', { numberOfKeys: 1, lua: script('begin-allocation') });
    redis.defineCommand('finishAllocation', { numberOfKeys: 2, lua: script('finish-allocation') });
    redis.defineCommand('failAllocation', { lua: script('fail-allocation') });
    redis.defineCommand('yieldAllocation', { numberOfKeys: 1, lua: script('yield-allocation') });
  }
  const ttl = String(OUTCOME_TTL_SECONDS);

  return {
    /** Begins the room's allocation, or resumes it after the last holder's lease lapsed. */
    async begin(room: AllocationRoom, holder: string, now: number, leaseMs: number): Promise<AllocationAnswer> {
      return answerOf(await commands.beginAllocation(keys.allocation(room.mode, room.region, room.roomId), holder, String(now), String(leaseMs), ttl));
    },

    /** Records the server; `json` is the room event with it, kept for players who come back later. */
    async finish(room: AllocationRoom, server: string, json: string): Promise<AllocationAnswer> {
      return answerOf(
        await commands.finishAllocation(
          keys.allocation(room.mode, room.region, room.roomId),
          keys.room(room.mode, room.region, room.roomId),
          server,
          json,
          ttl,
        ),
      );
    },

    /** Releases the room's tickets (back to their pools, or ended on their last try); refused as stale for an older start. */
    async fail(room: AllocationRoom, starts: number, reason: string): Promise<AllocationAnswer> {
      const ticketKeys = room.ticketIds.map((ticketId) => keys.ticket(room.mode, room.region, ticketId));
      return answerOf(
        await commands.failAllocation(
          2 + ticketKeys.length,
          keys.allocation(room.mode, room.region, room.roomId),
          keys.room(room.mode, room.region, room.roomId),
          ...ticketKeys,
          String(starts),
          reason,
          ttl,
          String(MAX_ALLOCATION_FAILURES),
          room.roomId,
          ...room.ticketIds,
        ),
      );
    },

    /** Drops this start's lease on a room it leaves unallocated (stopping), so the next allocator resumes it at once. */
    async yield(room: AllocationRoom, starts: number): Promise<boolean> {
      return (await commands.yieldAllocation(keys.allocation(room.mode, room.region, room.roomId), String(starts))) === 1;
    },
  };
}

export type AllocationStore = ReturnType<typeof createAllocationStore>;
