import { readFileSync } from 'node:fs';
import type { RedisClient } from './redis.js';
import { redisKeys } from './names.js';

/** Where a ticket lives: its id and the pool whose hash slot holds it. */
export interface TicketRef {
  ticketId: string;
  mode: string;
  region: string;
}

/**
 * `proposed`, `declined` and `accept_timeout` come only from a ready check (common/proposal-store.ts),
 * `allocation_failed` only from an allocator (common/allocation-store.ts).
 */
export type TicketState = 'queued' | 'proposed' | 'matched' | 'cancelled' | 'timeout' | 'declined' | 'accept_timeout' | 'allocation_failed';

export interface StoredTicket extends TicketRef {
  playerId: string;
  rating: number;
  joinedAt: number;
  state: TicketState;
  roomId?: string;
  /** The broker confirmed the ticket's join: a matcher will see it. */
  confirmed: boolean;
  delivered: boolean;
  /** v1.1, a party's ticket: the party and its members as the join carried them. */
  partyId?: string;
  members?: { playerId: string; name: string; rating: number }[];
  /** A party ticket that ended without a room: why (`left.reason`). */
  reason?: string;
  /** A party ticket: the members already told its outcome (each is told once). */
  deliveredTo?: string[];
}

/** What a new ticket is made of. */
export type NewTicket = Omit<StoredTicket, 'state' | 'delivered' | 'roomId' | 'confirmed' | 'reason' | 'deliveredTo'>;

/** Ended tickets and rooms stay this long, so a player who comes back still learns the outcome. */
export const OUTCOME_TTL_SECONDS = 3600;

const script = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

interface TicketCommands {
  claimRoom(keyCount: number, ...args: string[]): Promise<number[]>;
  expireTickets(keyCount: number, ...args: string[]): Promise<number[]>;
  leaveTicket(key: string, ttl: number): Promise<string>;
  swapPlayerTicket(key: string, expected: string, next: string, ttl: number): Promise<number>;
}

/**
 * The ticket state machine's Redis side (core/ticket-state.ts is its pure model): every
 * transition that two processes could race on is one Lua script.
 */
export function createTicketStore(redis: RedisClient, namespace: string) {
  const keys = redisKeys(namespace);
  const commands = redis as unknown as RedisClient & TicketCommands;
  if (!('claimRoom' in commands)) {
    redis.defineCommand('claimRoom', { lua: script('claim-room') });
    redis.defineCommand('expireTickets', { lua: script('expire-tickets') });
    redis.defineCommand('leaveTicket', { numberOfKeys: 1, lua: script('leave-ticket') });
    redis.defineCommand('swapPlayerTicket', { numberOfKeys: 1, lua: script('swap-player-ticket') });
  }
  const ticketKey = (ref: TicketRef) => keys.ticket(ref.mode, ref.region, ref.ticketId);
  const encodeRef = (ref: TicketRef) => `${ref.ticketId} ${ref.mode} ${ref.region}`;

  return {
    keys,

    ready: () => redis.status === 'ready',

    /** Calls `listener` each time Redis comes back after a disconnect (possibly empty, if it restarted). */
    onReconnect(listener: () => void): void {
      redis.on('ready', listener);
    },

    /**
     * Writes back a live ticket the gateway still knows, after Redis lost it; fields that
     * survived are kept, so a ticket that ended meanwhile stays ended.
     */
    async restore(ticket: Omit<StoredTicket, 'state' | 'delivered' | 'roomId' | 'confirmed'>, ttlSeconds: number): Promise<void> {
      const key = ticketKey(ticket);
      await Promise.all([
        redis.set(keys.playerTicket(ticket.playerId), encodeRef(ticket), 'EX', ttlSeconds, 'NX'),
        redis
          .multi()
          .hsetnx(key, 'state', 'queued')
          .hsetnx(key, 'playerId', ticket.playerId)
          .hsetnx(key, 'rating', String(ticket.rating))
          .hsetnx(key, 'joinedAt', String(ticket.joinedAt))
          // Only a ticket the player was told is queued is restored: its join was confirmed.
          .hsetnx(key, 'confirmed', '1')
          .expire(key, ttlSeconds, 'NX')
          .exec(),
      ]);
    },

    async livePointer(playerId: string): Promise<{ raw: string; ref: TicketRef } | null> {
      const raw = await redis.get(keys.playerTicket(playerId));
      if (!raw) return null;
      const [ticketId, mode, region] = raw.split(' ') as [string, string, string];
      return { raw, ref: { ticketId, mode, region } };
    },

    /** Records that the broker confirmed the ticket's join. */
    async confirm(ref: TicketRef): Promise<void> {
      await redis.hset(ticketKey(ref), 'confirmed', '1');
    },

    async get(ref: TicketRef): Promise<StoredTicket | null> {
      const hash = await redis.hgetall(ticketKey(ref));
      if (!hash.state) return null;
      const ticket: StoredTicket = {
        ...ref,
        playerId: hash.playerId ?? '',
        rating: Number(hash.rating),
        joinedAt: Number(hash.joinedAt),
        state: hash.state as TicketState,
        roomId: hash.room,
        confirmed: hash.confirmed === '1',
        delivered: hash.delivered === '1',
      };
      if (hash.party) {
        ticket.partyId = hash.party;
        ticket.members = JSON.parse(hash.members ?? '[]') as StoredTicket['members'];
        ticket.deliveredTo = Object.keys(hash)
          .filter((field) => field.startsWith('delivered:'))
          .map((field) => field.slice('delivered:'.length));
        if (hash.reason) ticket.reason = hash.reason;
      }
      return ticket;
    },

    /** Makes `ticket` the player's live one unless another appeared since `seen`; false then. */
    async open(ticket: NewTicket, seen: string | null, ttlSeconds: number): Promise<boolean> {
      // The hash is written before the pointer names it, and a lost swap (rare: a racing join)
      // deletes the hash no one will ever point at. On one Redis the three commands leave in one
      // write (auto-pipelining, in order); on a cluster the two keys live in different slots.
      // A hash without an expiry would outlive every outcome: refuse a TTL Redis cannot take
      // before anything is written, and remove the hash whenever a later step fails.
      if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) throw new RangeError(`ticket TTL must be a positive integer of seconds, not ${ttlSeconds}`);
      const key = ticketKey(ticket);
      try {
        const written = Promise.all([
          redis.hset(key, {
            state: 'queued',
            playerId: ticket.playerId,
            rating: ticket.rating,
            joinedAt: ticket.joinedAt,
            ...(ticket.partyId && { party: ticket.partyId, members: JSON.stringify(ticket.members ?? []) }),
          }),
          redis.expire(key, ttlSeconds),
        ]);
        if (redis.isCluster) await written;
        const swapped = commands.swapPlayerTicket(keys.playerTicket(ticket.playerId), seen ?? '', encodeRef(ticket), ttlSeconds);
        const [, swap] = await Promise.all([written, swapped]);
        if (swap === 1) return true;
      } catch (error) {
        await redis.del(key).catch(() => undefined);
        throw error;
      }
      await redis.del(key);
      return false;
    },

    /** Points every other member of a party at the party's ticket, so each resumes it on reconnect. */
    async pointMembers(ticket: TicketRef, playerIds: string[], ttlSeconds: number): Promise<void> {
      await Promise.all(playerIds.map((playerId) => redis.set(keys.playerTicket(playerId), encodeRef(ticket), 'EX', ttlSeconds)));
    },

    /** Records why a party's ticket ended without a room, for members told on reconnect. */
    async setReason(ref: TicketRef, reason: string): Promise<void> {
      await redis.hset(ticketKey(ref), 'reason', reason);
    },

    /** Ends a queued ticket as cancelled; returns the state that won the race. */
    async cancel(ref: TicketRef): Promise<TicketState> {
      return (await commands.leaveTicket(ticketKey(ref), OUTCOME_TTL_SECONDS)) as TicketState;
    },

    /** Claims all tickets of each room in one round trip; per room, the indexes it lost (empty = claimed). */
    async claimRooms(rooms: { mode: string; region: string; roomId: string; ticketIds: string[]; json: string }[]): Promise<number[][]> {
      if (rooms.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const room of rooms) {
        const roomKeys = [...room.ticketIds.map((ticketId) => keys.ticket(room.mode, room.region, ticketId)), keys.room(room.mode, room.region, room.roomId)];
        (pipeline as unknown as TicketCommands).claimRoom(roomKeys.length, ...roomKeys, room.roomId, room.json, String(OUTCOME_TTL_SECONDS));
      }
      const results = (await pipeline.exec()) ?? [];
      return results.map(([error, lost]) => {
        if (error) throw error;
        return (lost as number[]).map((index) => index - 1);
      });
    },

    /** Ends the given queued tickets with timeout; per ticket, whether this call ended it. */
    async expire(mode: string, region: string, ticketIds: string[]): Promise<boolean[]> {
      if (ticketIds.length === 0) return [];
      const ticketKeys = ticketIds.map((ticketId) => keys.ticket(mode, region, ticketId));
      const flags = await commands.expireTickets(ticketKeys.length, ...ticketKeys, String(OUTCOME_TTL_SECONDS));
      return flags.map((flag) => flag === 1);
    },

    /**
     * True for the first caller only: a player hears each outcome once, whatever redelivers it.
     * A party's ticket is told to each member once (`playerId`), not once in all.
     */
    async markDelivered(ref: TicketRef, playerId?: string): Promise<boolean> {
      const key = ticketKey(ref);
      // EXPIRE NX: a hash Redis lost and this call recreates must not outlive the outcome.
      const results = await redis
        .multi()
        .hsetnx(key, playerId === undefined ? 'delivered' : `delivered:${playerId}`, '1')
        .expire(key, OUTCOME_TTL_SECONDS, 'NX')
        .exec();
      const [error, first] = results?.[0] ?? [];
      if (error) throw error;
      return first === 1;
    },

    /** State (and room, once matched) of each ticket, in one round trip. */
    async states(mode: string, region: string, ticketIds: string[]): Promise<{ state: TicketState | null; roomId: string | null }[]> {
      if (ticketIds.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const ticketId of ticketIds) pipeline.hmget(keys.ticket(mode, region, ticketId), 'state', 'room');
      const results = (await pipeline.exec()) ?? [];
      return results.map(([error, fields]) => {
        if (error) throw error;
        const [state, roomId] = fields as [TicketState | null, string | null];
        return { state: state ?? null, roomId: roomId ?? null };
      });
    },

    async room(mode: string, region: string, roomId: string): Promise<string | null> {
      return redis.get(keys.room(mode, region, roomId));
    },

    async roomNotified(mode: string, region: string, roomId: string): Promise<boolean> {
      return (await redis.exists(keys.roomNotified(mode, region, roomId))) === 1;
    },

    async markRoomNotified(mode: string, region: string, roomId: string): Promise<void> {
      await redis.set(keys.roomNotified(mode, region, roomId), '1', 'EX', OUTCOME_TTL_SECONDS);
    },

    /** Records which gateway holds the player's newest socket; returns the previous holder. */
    async setGateway(playerId: string, gatewayId: string, connectionId: string): Promise<{ gatewayId: string; connectionId: string } | null> {
      const previous = await redis.set(keys.playerGateway(playerId), `${gatewayId} ${connectionId}`, 'EX', 86_400, 'GET');
      if (!previous) return null;
      const [previousGateway, previousConnection] = previous.split(' ') as [string, string];
      return { gatewayId: previousGateway, connectionId: previousConnection };
    },

    async gatewaysOf(playerIds: string[]): Promise<(string | null)[]> {
      // One GET a player: their keys sit in different hash slots; auto-pipelining batches them.
      const values = await Promise.all(playerIds.map((playerId) => redis.get(keys.playerGateway(playerId))));
      return values.map((value) => (value ? value.split(' ')[0]! : null));
    },
  };
}

export type TicketStore = ReturnType<typeof createTicketStore>;
