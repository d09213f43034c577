import { readFileSync } from 'node:fs';
import type { DissolveReason, RoomEventType, RoomPhase, Seat } from '../core/room-lifecycle.js';
import type { RedisKeys } from './names.js';
import type { RedisClient } from './redis.js';
import { answersUnderEpoch, claimBatches, OUTCOME_TTL_SECONDS } from './ticket-store.js';

const script = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

interface ProposalCommands {
  proposeRoom(keyCount: number, ...args: string[]): Promise<number[][] | null>;
  stepRoom(...args: string[]): Promise<[string, string, number, number]>;
}

/** A proposed room as Redis holds it. */
export interface StoredProposal {
  roomId: string;
  phase: RoomPhase;
  deadline: number;
  seats: Seat[];
  accepted: string[];
  /** The room event JSON, published once the room is final. */
  json: string;
  dissolved?: { reason: DissolveReason; ended: string[]; requeued: string[] };
}

export interface StepAnswer {
  outcome: 'ok' | 'not_pending' | 'wrong_phase' | 'not_due' | 'missing';
  phase: RoomPhase | '';
  accepted: number;
  total: number;
}

export interface NewProposal {
  mode: string;
  region: string;
  roomId: string;
  ticketIds: string[];
  seats: Seat[];
  json: string;
  deadline: number;
}

/** The replica probe outlives any WAIT on it; it only has to exist long enough to be replicated. */
const PROBE_TTL_MS = 60_000;

const words = (text: string | undefined) => (text ? text.split(' ').filter(Boolean) : []);

/** A proposal hash as HGETALL returns it; null when no proposal is stored. */
function decodeProposal(roomId: string, hash: Record<string, string>): StoredProposal | null {
  if (!hash.phase) return null;
  const flat = words(hash.seats);
  const seats: Seat[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) seats.push({ playerId: flat[i]!, ticketId: flat[i + 1]! });
  const proposal: StoredProposal = {
    roomId,
    phase: hash.phase as RoomPhase,
    deadline: Number(hash.deadline),
    seats,
    accepted: words(hash.accepted),
    json: hash.json ?? '',
  };
  if (hash.phase === 'dissolved') proposal.dissolved = { reason: hash.reason as DissolveReason, ended: words(hash.ended), requeued: words(hash.requeued) };
  return proposal;
}

/** No Redis replica confirmed (WAIT) a proposal's state within ACCEPT_WAIT_MS: act on it later. */
export class NotReplicated extends Error {}

/**
 * The ready check's Redis side: proposals are created by propose-room.lua and every later
 * event of their life (answers, the deadline, allocation, the announcement) goes through
 * step-room.lua, the mirror of core/room-lifecycle.ts, so each is decided exactly once.
 */
export function createProposalStore(redis: RedisClient, keys: RedisKeys, options: { acceptWaitMs?: number } = {}) {
  const acceptWaitMs = options.acceptWaitMs ?? 0;
  const commands = redis as unknown as RedisClient & ProposalCommands;
  if (!('proposeRoom' in commands)) {
    redis.defineCommand('proposeRoom', { lua: script('propose-room') });
    redis.defineCommand('stepRoom', { numberOfKeys: 4, lua: script('step-room') });
  }

  /**
   * The proposal as the node serving its slot holds it, and whether a replica holds that too: in
   * one pipeline on one connection, HGETALL, then a write of this connection's own on the same
   * slot (the pool's replica probe), then WAIT 1 for it. A primary replicates in order, so a
   * replica holding the probe holds every write the read saw, whoever made it on whichever
   * connection (a gateway's accept, the matcher's expire); and on a node just promoted the read is
   * what that node holds, not what the dead primary told. 'unconfirmed': no replica in time.
   */
  async function heldGet(mode: string, region: string, roomId: string): Promise<StoredProposal | null | 'unconfirmed'> {
    const answers =
      (await redis
        .pipeline()
        .hgetall(keys.proposal(mode, region, roomId))
        .set(keys.replicaProbe(mode, region), String(Date.now()), 'PX', PROBE_TTL_MS)
        .call('wait', '1', String(acceptWaitMs))
        .exec()) ?? [];
    if (answers.length !== 3) throw new Error('no answer to WAIT');
    for (const [error] of answers) if (error) throw error;
    if (Number(answers[2]![1]) < 1) return 'unconfirmed';
    return decodeProposal(roomId, answers[0]![1] as Record<string, string>);
  }

  const store = {
    /**
     * Proposes each room (propose-room.lua); per room, the indexes of tickets it lost (empty =
     * proposed). Rooms of one pool go CLAIM_ROOMS_PER_CALL to a script call, as claims do
     * (TicketStore.claimRooms); the calls leave together, one round trip. `epoch` as for
     * claimRooms: under another, nothing is proposed and this throws EpochChanged.
     */
    async propose(rooms: NewProposal[], epoch: string): Promise<number[][]> {
      if (rooms.length === 0) return [];
      const calls = claimBatches(rooms).map((batch) => {
        const { mode, region } = batch[0]!;
        const roomKeys: string[] = [keys.poolEpoch(mode, region)];
        const args: string[] = [String(OUTCOME_TTL_SECONDS), epoch];
        for (const room of batch) {
          for (const ticketId of room.ticketIds) roomKeys.push(keys.ticket(mode, region, ticketId));
          roomKeys.push(keys.proposal(mode, region, room.roomId));
          const seats = room.seats.map((seat) => `${seat.playerId} ${seat.ticketId}`).join(' ');
          args.push(room.roomId, room.json, String(room.deadline), seats, String(room.ticketIds.length));
        }
        roomKeys.push(keys.pendingProposals(mode, region));
        return commands.proposeRoom(roomKeys.length, ...roomKeys, ...args);
      });
      return answersUnderEpoch(await Promise.all(calls), rooms[0]!.mode, rooms[0]!.region);
    },

    /** Runs one event of the room's life (core/room-lifecycle.ts `step`) in Redis. */
    async step(mode: string, region: string, roomId: string, event: RoomEventType, now: number, playerId = ''): Promise<StepAnswer> {
      const [outcome, phase, accepted, total] = await commands.stepRoom(
        keys.proposal(mode, region, roomId),
        keys.pendingProposals(mode, region),
        keys.decidedProposals(mode, region),
        keys.room(mode, region, roomId),
        event,
        playerId,
        String(now),
        keys.ticketPrefix(mode, region),
        String(OUTCOME_TTL_SECONDS),
        roomId,
      );
      return { outcome: outcome as StepAnswer['outcome'], phase: phase as StepAnswer['phase'], accepted: Number(accepted), total: Number(total) };
    },

    /**
     * After an accept (ACCEPT_WAIT_MS > 0): true once the player's accept is in the proposal on the
     * node serving its slot and a replica holds it too, so a primary that dies before replicating
     * cannot take back a `ready` the player heard; false when the accept is not there (it died with
     * a primary: the client sends it again) or no replica answered in time. Read by heldGet, not
     * by WAIT on the accept's own connection: ioredis may send a command again after a failover,
     * on a fresh connection to the promoted replica, where WAIT counts no write of ours and would
     * say yes to an accept that node never had.
     */
    async replicated(mode: string, region: string, roomId: string, playerId: string): Promise<boolean> {
      if (acceptWaitMs === 0) return true;
      const held = await heldGet(mode, region, roomId);
      return held !== 'unconfirmed' && held !== null && held.accepted.includes(playerId);
    },

    /**
     * The proposal as a replica holds it too, for the pool's owner to act on a decision (publish a
     * final room, announce a dissolved one) that no failover can take back; `get` when
     * ACCEPT_WAIT_MS is 0. Throws NotReplicated when no replica answered in time: try again later.
     */
    async getHeld(mode: string, region: string, roomId: string): Promise<StoredProposal | null> {
      if (acceptWaitMs === 0) return store.get(mode, region, roomId);
      const held = await heldGet(mode, region, roomId);
      if (held === 'unconfirmed') throw new NotReplicated(`no Redis replica holds proposal ${roomId} yet`);
      return held;
    },

    async get(mode: string, region: string, roomId: string): Promise<StoredProposal | null> {
      return decodeProposal(roomId, await redis.hgetall(keys.proposal(mode, region, roomId)));
    },

    /** Proposals of the pool still waiting for answers; with `dueAt`, only those whose deadline is before it. */
    async pending(mode: string, region: string, dueAt?: number): Promise<string[]> {
      return redis.zrangebyscore(keys.pendingProposals(mode, region), '-inf', dueAt === undefined ? '+inf' : `(${dueAt}`);
    },

    /** Proposals of the pool decided but not yet settled by its owner. */
    async decided(mode: string, region: string): Promise<string[]> {
      return redis.smembers(keys.decidedProposals(mode, region));
    },

    /** The owner announced a dissolved proposal's outcome: it leaves the decided set. */
    async settle(mode: string, region: string, roomId: string): Promise<void> {
      await redis.srem(keys.decidedProposals(mode, region), roomId);
    },

    async setCooldown(playerId: string, ms: number): Promise<void> {
      if (ms > 0) await redis.set(keys.cooldown(playerId), '1', 'PX', ms);
    },

    /** Milliseconds until the player may join again; 0 when not cooling down. */
    async cooldownLeft(playerId: string): Promise<number> {
      return Math.max(0, await redis.pttl(keys.cooldown(playerId)));
    },
  };
  return store;
}

export type ProposalStore = ReturnType<typeof createProposalStore>;
