import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from './logger.js';
import { DELIVERY_BATCHES_WORD } from './messages.js';
import type { RedisClient } from './redis.js';
import type { RedisKeys } from './names.js';
import type { TicketState } from '../core/ticket-state.js';
import { TurnBatch } from './turn-batch.js';

export type { TicketState };

/** Where a ticket lives: its id and the pool whose hash slot holds it. */
export interface TicketRef {
  ticketId: string;
  mode: string;
  region: string;
}

/** Where a player's newest socket is (who-is-where), and whether its gateway takes batched deliveries. */
export interface GatewayRoute {
  gatewayId: string;
  batches: boolean;
}

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
  /**
   * A party ticket: per member, the ticket its pointer named before this one, so a member away
   * while an earlier ticket of the party ended still learns that outcome.
   */
  earlier?: Record<string, TicketRef>;
}

/**
 * An end a gateway told (TicketStore.restoreEnded): the ticket, the state it ended in, the fields
 * that end carries (a matched ticket's `room`; a party's `party`, and `reason` for a cancel),
 * and, for a party's ticket, the member who was told.
 */
export interface ToldEnd {
  ref: TicketRef;
  state: TicketState;
  fields: Record<string, string>;
  playerId?: string;
}

/** What a new ticket is made of. */
export type NewTicket = Omit<StoredTicket, 'state' | 'delivered' | 'roomId' | 'confirmed' | 'reason' | 'deliveredTo' | 'earlier'>;

/** Ended tickets and rooms stay this long, so a player who comes back still learns the outcome. */
export const OUTCOME_TTL_SECONDS = 3600;

const script = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

/** One room to claim: its pool, id, tickets and the event kept for late deliveries. */
export interface RoomClaim {
  mode: string;
  region: string;
  roomId: string;
  ticketIds: string[];
  json: string;
}

/**
 * Rooms per claim-room.lua call. Redis runs a script to its end before any other client's
 * command, so a tick's rooms go in calls this size (about 10 commands a room of three) and the
 * gateways' joins get in between; larger calls save little once the round trip is shared.
 */
export const CLAIM_ROOMS_PER_CALL = 50;

/**
 * The rooms cut into script calls: consecutive rooms of one pool (one hash slot), at most
 * CLAIM_ROOMS_PER_CALL each, in the rooms' order. Rooms of different pools never share a
 * call: on a Redis Cluster their keys may live on different nodes.
 */
export function claimBatches<R extends { mode: string; region: string }>(rooms: R[]): R[][] {
  const batches: R[][] = [];
  let current: R[] = [];
  for (const room of rooms) {
    const previous = current[0];
    if (current.length === CLAIM_ROOMS_PER_CALL || (previous && (previous.mode !== room.mode || previous.region !== room.region))) {
      batches.push(current);
      current = [];
    }
    current.push(room);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** A player's ticket pointer (keys.playerTicket) as Redis holds it when it names `ref`: what `open` compares against. */
export const pointerTo = (ref: TicketRef): string => `${ref.ticketId} ${ref.mode} ${ref.region}`;

/**
 * A claim (or proposal) refused because the pool's Redis epoch is not the one the caller named:
 * Redis lost the pool's data since the caller last read it, so the rooms it had in flight are to
 * be claimed again before any new room takes a ticket (claim-room.lua, propose-room.lua).
 */
export class EpochChanged extends Error {
  override name = 'EpochChanged';
  constructor(mode: string, region: string) {
    super(`pool ${mode}.${region}: its Redis epoch changed; rooms in flight are claimed again first`);
  }
}

/** A claim script's answer per call: nil when the epoch was not the caller's (EpochChanged). */
export function answersUnderEpoch(answers: (number[][] | null)[], mode: string, region: string): number[][] {
  if (answers.some((answer) => answer === null)) throw new EpochChanged(mode, region);
  // The batches keep the rooms' order, so the answers laid end to end are the rooms'; Lua's indexes are 1-based.
  return (answers as number[][][]).flat().map((lost) => lost.map((index) => index - 1));
}

interface TicketCommands {
  claimRoom(keyCount: number, ...args: string[]): Promise<number[][] | null>;
  expireTickets(keyCount: number, ...args: string[]): Promise<number[]>;
  leaveTicket(key: string, ttl: number, toldNow: '1' | '0'): Promise<string>;
  claimDelivery(keyCount: number, ...args: string[]): Promise<number[]>;
  markTold(keyCount: number, ...args: string[]): Promise<number>;
  confirmTickets(keyCount: number, ...keys: string[]): Promise<number[]>;
  readRooms(keyCount: number, ...args: string[]): Promise<(number | string | null)[][]>;
  markNotified(keyCount: number, ...args: string[]): Promise<number>;
  swapPlayerTicket(key: string, expected: string, next: string, ttl: number): Promise<number>;
  restoreEnded(key: string, ttl: number, toldField: string, state: string, ...fields: string[]): Promise<number>;
}

/**
 * Claims (claim-delivery.lua), marks (mark-told.lua) or confirms (confirm-ticket.lua) per script call at most: a gateway's of
 * one turn and pool go together (common/turn-batch.ts), cut to this size so one call holds
 * Redis about as long as one of the matcher's room claims (CLAIM_ROOMS_PER_CALL).
 */
export const TELLS_PER_CALL = 100;

/** Who-is-where entries per MGET (routesOf on one Redis): a tick's players in a few calls, none holding Redis long. */
const ROUTES_PER_CALL = 500;

/** A room of a pool. */
interface RoomRef {
  mode: string;
  region: string;
  roomId: string;
}

/** What the notifier reads of a room before routing it (readRoom). */
export interface RoomRead {
  notified: boolean;
  states: { state: TicketState | null; roomId: string | null }[];
}

/** One outcome to claim the telling of: the ticket, the connection telling it, and, for a party's ticket, the member. */
interface TellClaim {
  ref: TicketRef;
  connectionId: string;
  playerId?: string;
}

export interface TicketStoreOptions {
  /**
   * The connection outcomes are claimed and marked told on (claimDelivery, markTold); `redis`
   * when unset. The gateway gives them one of their own: a tick's burst of them then waits in
   * Redis apart from the joins' commands, which Redis serves between them instead of after.
   */
  tells?: RedisClient;
}

const defineTicketCommands = (redis: RedisClient) => {
  if ('claimRoom' in redis) return;
  redis.defineCommand('claimRoom', { lua: script('claim-room') });
  redis.defineCommand('expireTickets', { lua: script('expire-tickets') });
  redis.defineCommand('leaveTicket', { numberOfKeys: 1, lua: script('leave-ticket') });
  redis.defineCommand('claimDelivery', { lua: script('claim-delivery') });
  redis.defineCommand('markTold', { lua: script('mark-told') });
  redis.defineCommand('confirmTickets', { lua: script('confirm-ticket') });
  redis.defineCommand('readRooms', { lua: script('read-rooms') });
  redis.defineCommand('markNotified', { lua: script('mark-notified') });
  redis.defineCommand('swapPlayerTicket', { numberOfKeys: 1, lua: script('swap-player-ticket') });
  redis.defineCommand('restoreEnded', { numberOfKeys: 1, lua: script('restore-ended') });
};

/**
 * The ticket state machine's Redis side (core/ticket-state.ts is its pure model): every
 * transition that two processes could race on is one Lua script.
 */
export function createTicketStore(redis: RedisClient, keys: RedisKeys, options: TicketStoreOptions = {}) {
  defineTicketCommands(redis);
  const commands = redis as unknown as RedisClient & TicketCommands;
  const tellsOn = options.tells ?? redis;
  defineTicketCommands(tellsOn);
  const tells = tellsOn as unknown as RedisClient & TicketCommands;
  const ticketKey = (ref: TicketRef) => keys.ticket(ref.mode, ref.region, ref.ticketId);
  // A pool's tickets share its hash slot: a script call takes the tells of one pool.
  const poolOf = ({ ref }: { ref: TicketRef }) => `${ref.mode} ${ref.region}`;
  const memberSuffix = (playerId?: string) => (playerId === undefined ? '' : `:${playerId}`);
  const claims = new TurnBatch<TellClaim, boolean>(
    async (batch) => {
      const args = [String(OUTCOME_TTL_SECONDS)];
      for (const { playerId, connectionId } of batch) args.push(`delivered${memberSuffix(playerId)}`, `telling${memberSuffix(playerId)}`, connectionId);
      const answers = await tells.claimDelivery(batch.length, ...batch.map(({ ref }) => ticketKey(ref)), ...args);
      return answers.map((answer) => answer === 1);
    },
    poolOf,
    TELLS_PER_CALL,
  );
  const marks = new TurnBatch<{ ref: TicketRef; playerId?: string }, void>(
    async (batch) => {
      await tells.markTold(batch.length, ...batch.map(({ ref }) => ticketKey(ref)), ...batch.map(({ playerId }) => `delivered${memberSuffix(playerId)}`));
      return batch.map(() => undefined);
    },
    poolOf,
    TELLS_PER_CALL,
  );
  const confirms = new TurnBatch<TicketRef, boolean>(
    async (batch) => {
      const recorded = await commands.confirmTickets(batch.length, ...batch.map(ticketKey));
      return recorded.map((flag) => flag === 1);
    },
    (ref) => poolOf({ ref }),
    TELLS_PER_CALL,
  );
  const roomReads = new TurnBatch<RoomRef & { ticketIds: string[] }, RoomRead>(
    async (batch) => {
      const roomKeys = batch.flatMap(({ mode, region, roomId, ticketIds }) => [
        keys.roomNotified(mode, region, roomId),
        ...ticketIds.map((ticketId) => keys.ticket(mode, region, ticketId)),
      ]);
      const answers = await commands.readRooms(roomKeys.length, ...roomKeys, ...batch.map(({ ticketIds }) => String(ticketIds.length)));
      return answers.map(([notified, ...fields]) => ({
        notified: notified === 1,
        states: Array.from({ length: fields.length / 2 }, (_, index) => ({
          state: (fields[2 * index] as TicketState | null) ?? null,
          roomId: (fields[2 * index + 1] as string | null) ?? null,
        })),
      }));
    },
    ({ mode, region }) => `${mode} ${region}`,
    TELLS_PER_CALL,
  );
  const notifiedMarks = new TurnBatch<RoomRef, void>(
    async (batch) => {
      await commands.markNotified(
        batch.length,
        ...batch.map(({ mode, region, roomId }) => keys.roomNotified(mode, region, roomId)),
        String(OUTCOME_TTL_SECONDS),
      );
      return batch.map(() => undefined);
    },
    ({ mode, region }) => `${mode} ${region}`,
    TELLS_PER_CALL,
  );
  const encodeRef = pointerTo;
  const decodeRef = (raw: string): TicketRef => {
    const [ticketId, mode, region] = raw.split(' ') as [string, string, string];
    return { ticketId, mode, region };
  };

  /**
   * Writes the epoch of each pool that has none, dated `now`: at a start, and after each
   * reconnect (Redis may have come back empty), so a room made before Redis lost its data is
   * known as such (common/room-claims.ts) by whoever looks first.
   */
  const markEpochs = async (pools: { mode: string; region: string }[], now: number): Promise<void> => {
    await Promise.all(pools.map(({ mode, region }) => redis.set(keys.poolEpoch(mode, region), `${randomUUID()} ${now}`, 'NX')));
  };

  /**
   * Who-is-where entries read together: on one Redis, the players of a turn's outcomes in one
   * MGET (a notifier routing a tick's rooms read a thousand in a thousand GETs, the largest part of
   * its client's work); on a Cluster their keys sit in different hash slots, so one GET each,
   * which auto-pipelining sends to each node together.
   */
  const gatewayReads =
    'isCluster' in redis && redis.isCluster
      ? undefined
      : new TurnBatch<string, string | null>(
          (playerIds) => (redis as Redis).mget(...playerIds.map((playerId) => keys.playerGateway(playerId))),
          () => '',
          ROUTES_PER_CALL,
        );
  const gatewayEntry = (playerId: string) => (gatewayReads ? gatewayReads.add(playerId) : redis.get(keys.playerGateway(playerId)));

  /** Each player's gateway and whether it takes batched deliveries (an entry written by a gateway of the version before does not say so). */
  async function routesOf(playerIds: string[]): Promise<(GatewayRoute | null)[]> {
    const values = await Promise.all(playerIds.map(gatewayEntry));
    return values.map((value) => {
      if (!value) return null;
      const words = value.split(' ');
      return { gatewayId: words[0]!, batches: words[2] === DELIVERY_BATCHES_WORD };
    });
  }

  return {
    keys,

    ready: () => redis.status === 'ready' && tellsOn.status === 'ready',

    /**
     * Calls `listener` each time Redis comes back after a disconnect (possibly empty, if it
     * restarted): on either connection, when outcomes have one of their own.
     */
    onReconnect(listener: () => void): void {
      redis.on('ready', listener);
      if (tellsOn !== redis) tellsOn.on('ready', listener);
    },

    /**
     * Writes back a live ticket the gateway still knows, after Redis lost it; fields that
     * survived are kept, so a ticket that ended meanwhile stays ended.
     */
    async restore(ticket: Omit<StoredTicket, 'state' | 'delivered' | 'roomId' | 'confirmed'>, ttlSeconds: number): Promise<void> {
      const key = ticketKey(ticket);
      const fields = redis
        .multi()
        .hsetnx(key, 'state', 'queued')
        .hsetnx(key, 'playerId', ticket.playerId)
        .hsetnx(key, 'rating', String(ticket.rating))
        .hsetnx(key, 'joinedAt', String(ticket.joinedAt))
        // Only a ticket the player was told is queued is restored: its join was confirmed.
        .hsetnx(key, 'confirmed', '1');
      // A party's ticket stays one: its outcome is then told once per member (delivered:PLAYER), not
      // once for the whole ticket, which would leave every member but the first untold.
      if (ticket.partyId) fields.hsetnx(key, 'party', ticket.partyId);
      await Promise.all([
        redis.set(keys.playerTicket(ticket.playerId), encodeRef(ticket), 'EX', ttlSeconds, 'NX'),
        fields.expire(key, ttlSeconds, 'NX').exec(),
      ]);
    },

    /**
     * Writes back an end this gateway told, after Redis came back (restore-ended.lua): a ticket
     * Redis lost, or holds as queued (another member's gateway wrote a live copy back), takes
     * the end; one that holds any other state keeps it. True when the end was written.
     */
    async restoreEnded(end: ToldEnd): Promise<boolean> {
      const fields = Object.entries(end.fields).flat();
      const wrote = await commands.restoreEnded(ticketKey(end.ref), OUTCOME_TTL_SECONDS, `delivered${memberSuffix(end.playerId)}`, end.state, ...fields);
      return wrote === 1;
    },

    async livePointer(playerId: string): Promise<{ raw: string; ref: TicketRef } | null> {
      const raw = await redis.get(keys.playerTicket(playerId));
      if (!raw) return null;
      return { raw, ref: decodeRef(raw) };
    },

    /** Records that the broker confirmed the ticket's join, if Redis still holds the ticket. */
    async confirm(ref: TicketRef): Promise<void> {
      // The confirms of one turn leave together, one script call per pool, on the joins' connection.
      await confirms.add(ref);
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
        const earlier = Object.entries(hash).filter(([field]) => field.startsWith('earlier:'));
        if (earlier.length > 0) ticket.earlier = Object.fromEntries(earlier.map(([field, raw]) => [field.slice('earlier:'.length), decodeRef(raw)]));
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
        // The first failure is what the caller must see; a hash left behind expires by its TTL.
        await redis.del(key).catch(() => undefined);
        throw error;
      }
      await redis.del(key);
      return false;
    },

    /**
     * Points every other member of a party at the party's ticket, so each resumes it on reconnect.
     * The ticket each pointer named before is kept in the new ticket (`earlier:MEMBER`): a member
     * away while the party was matched and queued again would otherwise never hear that room.
     */
    async pointMembers(ticket: TicketRef, playerIds: string[], ttlSeconds: number): Promise<void> {
      const ref = encodeRef(ticket);
      await Promise.all(
        playerIds.map(async (playerId) => {
          const before = await redis.set(keys.playerTicket(playerId), ref, 'EX', ttlSeconds, 'GET');
          if (before && before !== ref) await redis.hset(ticketKey(ticket), `earlier:${playerId}`, before);
        }),
      );
    },

    /** Records why a party's ticket ended without a room, for members told on reconnect. */
    async setReason(ref: TicketRef, reason: string): Promise<void> {
      await redis.hset(ticketKey(ref), 'reason', reason);
    },

    /**
     * Ends a queued ticket as cancelled; returns the state that won the race. `untold`: the
     * player is still to hear `left` (deliver() claims and marks it), so a reconnect tells it if
     * the gateway dies first; otherwise it counts as told at once.
     */
    async cancel(ref: TicketRef, { untold = false }: { untold?: boolean } = {}): Promise<TicketState> {
      return (await commands.leaveTicket(ticketKey(ref), OUTCOME_TTL_SECONDS, untold ? '0' : '1')) as TicketState;
    },

    /**
     * Claims each room, all its tickets or none (claim-room.lua); per room, the indexes it lost
     * (empty = claimed). Rooms of one pool share a hash slot, so they go CLAIM_ROOMS_PER_CALL to
     * a script call; the calls of every pool leave together, one round trip. `epoch`: the
     * rooms' pool's Redis epoch as the caller last read it; a call under any other claims
     * nothing, and then this throws EpochChanged.
     */
    async claimRooms(rooms: RoomClaim[], epoch: string): Promise<number[][]> {
      if (rooms.length === 0) return [];
      const calls: Promise<number[][] | null>[] = [];
      for (const batch of claimBatches(rooms)) {
        const { mode, region } = batch[0]!;
        const roomKeys: string[] = [keys.poolEpoch(mode, region)];
        const args: string[] = [String(OUTCOME_TTL_SECONDS), epoch];
        for (const room of batch) {
          for (const ticketId of room.ticketIds) roomKeys.push(keys.ticket(room.mode, room.region, ticketId));
          roomKeys.push(keys.room(room.mode, room.region, room.roomId), keys.allocation(room.mode, room.region, room.roomId));
          args.push(room.roomId, room.json, String(room.ticketIds.length));
        }
        calls.push(commands.claimRoom(roomKeys.length, ...roomKeys, ...args));
      }
      return answersUnderEpoch(await Promise.all(calls), rooms[0]!.mode, rooms[0]!.region);
    },

    /** Ends the given queued tickets with timeout; per ticket, whether this call ended it. */
    async expire(mode: string, region: string, ticketIds: string[]): Promise<boolean[]> {
      if (ticketIds.length === 0) return [];
      const ticketKeys = ticketIds.map((ticketId) => keys.ticket(mode, region, ticketId));
      const flags = await commands.expireTickets(ticketKeys.length, ...ticketKeys, String(OUTCOME_TTL_SECONDS));
      return flags.map((flag) => flag === 1);
    },

    /**
     * True when this connection is to tell the outcome (claim-delivery.lua): a player hears each
     * outcome once, whatever redelivers it, and a party's ticket is told to each member once
     * (`playerId`). The outcome counts as told only once `markTold` follows the socket write, so
     * a gateway killed in between leaves it for the player's next connection.
     */
    claimDelivery(ref: TicketRef, connectionId: string, playerId?: string): Promise<boolean> {
      // The claims of one turn leave together, one script call per pool (TELLS_PER_CALL at most).
      return claims.add({ ref, connectionId, playerId });
    },

    /** The outcome's frame reached the player's socket: nobody tells it again (one turn's marks together, as the claims). */
    markTold(ref: TicketRef, playerId?: string): Promise<void> {
      return marks.add({ ref, playerId });
    },

    /**
     * State (and room, once matched) of each ticket, in one round trip. Auto-pipelined rather than
     * a pipeline of its own: the rooms a notifier checks in one turn then share one write to Redis
     * with the turn's other reads, not one write each (in the e2e profile about half of its routing time went to those writes).
     */
    async states(mode: string, region: string, ticketIds: string[]): Promise<{ state: TicketState | null; roomId: string | null }[]> {
      const results = await Promise.all(ticketIds.map((ticketId) => redis.hmget(keys.ticket(mode, region, ticketId), 'state', 'room')));
      return results.map(([state, roomId]) => ({ state: (state as TicketState | null) ?? null, roomId: roomId ?? null }));
    },

    /**
     * The pool's epoch (keys.poolEpoch): the one Redis holds, or `candidate` when it held none
     * and this call wrote it. A matcher that sees it change knows Redis lost the pool's data.
     */
    async epoch(mode: string, region: string, candidate: string): Promise<string> {
      const previous = await redis.set(keys.poolEpoch(mode, region), candidate, 'NX', 'GET');
      return previous ?? candidate;
    },

    markEpochs,

    /** markEpochs now and after every reconnect; a failure is logged and left to the next reconnect. */
    async keepEpochsDated(pools: { mode: string; region: string }[], clock: () => number, logger: Logger): Promise<void> {
      const mark = () =>
        markEpochs(pools, clock()).catch((error: Error) =>
          logger.warn({ err: error.message }, "writing the pools' Redis epochs failed; written again at the next reconnect"),
        );
      redis.on('ready', () => void mark());
      await mark();
    },

    /** The pool's epoch as Redis holds it, without writing one (null: none yet, or Redis lost it). */
    async readEpoch(mode: string, region: string): Promise<string | null> {
      return redis.get(keys.poolEpoch(mode, region));
    },

    async room(mode: string, region: string, roomId: string): Promise<string | null> {
      return redis.get(keys.room(mode, region, roomId));
    },

    /**
     * Whether the room was routed already, and the state and room of each of its tickets (in
     * order): what the notifier reads before routing it, the rooms of one turn and pool in one
     * script call (read-rooms.lua), where it was a command a ticket and one more a room.
     */
    readRoom(mode: string, region: string, roomId: string, ticketIds: string[]): Promise<RoomRead> {
      return roomReads.add({ mode, region, roomId, ticketIds });
    },

    /** Records the room as routed (mark-notified.lua, the marks of one turn and pool together). */
    markRoomNotified(mode: string, region: string, roomId: string): Promise<void> {
      return notifiedMarks.add({ mode, region, roomId });
    },

    /**
     * Records which gateway holds the player's newest socket, and that it takes batched
     * deliveries (a third word, which readers of the version before ignore); returns the previous holder.
     */
    async setGateway(playerId: string, gatewayId: string, connectionId: string): Promise<{ gatewayId: string; connectionId: string } | null> {
      const previous = await redis.set(keys.playerGateway(playerId), `${gatewayId} ${connectionId} ${DELIVERY_BATCHES_WORD}`, 'EX', 86_400, 'GET');
      if (!previous) return null;
      const [previousGateway, previousConnection] = previous.split(' ') as [string, string];
      return { gatewayId: previousGateway, connectionId: previousConnection };
    },

    async gatewaysOf(playerIds: string[]): Promise<(string | null)[]> {
      return (await routesOf(playerIds)).map((route) => route?.gatewayId ?? null);
    },

    routesOf,
  };
}

export type TicketStore = ReturnType<typeof createTicketStore>;
