import { readFileSync } from 'node:fs';
import type { DissolveReason, RoomEventType, RoomPhase, Seat } from '../core/room-lifecycle.js';
import { redisKeys } from './names.js';
import type { RedisClient } from './redis.js';
import { OUTCOME_TTL_SECONDS } from './ticket-store.js';

const script = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

interface ProposalCommands {
  proposeRoom(keyCount: number, ...args: string[]): Promise<number[]>;
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

const words = (text: string | undefined) => (text ? text.split(' ').filter(Boolean) : []);

/**
 * The ready check's Redis side: proposals are created by propose-room.lua and every later
 * event of their life (answers, the deadline, allocation, the announcement) goes through
 * step-room.lua, the mirror of core/room-lifecycle.ts, so each is decided exactly once.
 */
export function createProposalStore(redis: RedisClient, namespace: string) {
  const keys = redisKeys(namespace);
  const commands = redis as unknown as RedisClient & ProposalCommands;
  if (!('proposeRoom' in commands)) {
    redis.defineCommand('proposeRoom', { lua: script('propose-room') });
    redis.defineCommand('stepRoom', { numberOfKeys: 4, lua: script('step-room') });
  }

  return {
    /** Proposes each room in one round trip; per room, the indexes of tickets it lost (empty = proposed). */
    async propose(rooms: NewProposal[]): Promise<number[][]> {
      if (rooms.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const room of rooms) {
        const roomKeys = [
          ...room.ticketIds.map((ticketId) => keys.ticket(room.mode, room.region, ticketId)),
          keys.proposal(room.mode, room.region, room.roomId),
          keys.pendingProposals(room.mode, room.region),
        ];
        const seats = room.seats.map((seat) => `${seat.playerId} ${seat.ticketId}`).join(' ');
        (pipeline as unknown as ProposalCommands).proposeRoom(
          roomKeys.length,
          ...roomKeys,
          room.roomId,
          room.json,
          String(OUTCOME_TTL_SECONDS),
          String(room.deadline),
          seats,
        );
      }
      const results = (await pipeline.exec()) ?? [];
      return results.map(([error, lost]) => {
        if (error) throw error;
        return (lost as number[]).map((index) => index - 1);
      });
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

    async get(mode: string, region: string, roomId: string): Promise<StoredProposal | null> {
      const hash = await redis.hgetall(keys.proposal(mode, region, roomId));
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
}

export type ProposalStore = ReturnType<typeof createProposalStore>;
