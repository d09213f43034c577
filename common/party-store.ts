import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Party } from '../packages/client/src/wire/index.js';
import type { RedisKeys } from './names.js';
import type { RedisClient } from './redis.js';
import type { TicketRef } from './ticket-store.js';

/**
 * Parties in Redis (contract v1.1, "Parties"). A party is one hash whose hash tag is its code,
 * so `party.join CODE` finds it in one read, the code is unique among live parties by the
 * create script's EXISTS, and every change to it is one Lua script on one slot, safe on a
 * Redis Cluster. A player points at their party from a key tagged by the player (as their
 * ticket pointer is). Nothing lives in a gateway: any gateway serves any member.
 *
 * A party and its members' pointers expire `idleSeconds` (an hour) after their last touch;
 * gateways touch them while a member is connected and when one disconnects, so a party ends
 * an hour after its last member left.
 */

/** The party as stored: the contract's party plus what guards its changes. */
export interface StoredParty extends Party {
  /** Bumped by every membership change: a ticket is attached only to the membership it was built from. */
  version: number;
  /** The last ticket its leader opened ("" for none); live only while that ticket is queued. */
  ticket: TicketRef | null;
}

export type JoinResult = { ok: true; party: StoredParty } | { ok: false; reason: 'not_found' | 'full' | 'changed' };
export type LeaveResult =
  { ok: true; party: StoredParty | null; detached: TicketRef | null } | { ok: false; reason: 'not_found' | 'not_member' | 'not_leader' };

/** Party codes: 6 characters from an alphabet without look-alikes (no I, O, 0, 1). */
export const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const CODE_PATTERN = /^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{6}$/;

export function newPartyCode(): string {
  let code = '';
  for (let i = 0; i < 6; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

const script = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

interface PartyCommands {
  partyCreate(key: string, id: string, code: string, member: string, ttl: number): Promise<string | null>;
  partyJoin(key: string, member: string, maxSize: number, ttl: number, seenTicket: string): Promise<string[]>;
  partyLeave(key: string, playerId: string, by: string, ttl: number): Promise<string[]>;
  partyAttach(key: string, version: number, seenTicket: string, ticket: string, ttl: number): Promise<number>;
}

const encodeRef = (ref: TicketRef | null) => (ref ? `${ref.ticketId} ${ref.mode} ${ref.region}` : '');
const decodeRef = (raw: string | undefined): TicketRef | null => {
  if (!raw) return null;
  const [ticketId, mode, region] = raw.split(' ') as [string, string, string];
  return { ticketId, mode, region };
};

function decodeParty(json: string): StoredParty {
  const raw = JSON.parse(json) as { id: string; code: string; leader: string; members: Party['members']; version: number; ticket: string };
  return {
    id: raw.id,
    code: raw.code,
    leader: raw.leader,
    members: raw.members.map((member) => ({ id: member.id, name: member.name, rating: member.rating })),
    version: Number(raw.version),
    ticket: decodeRef(raw.ticket),
  };
}

/** The party as players see it in the `party` frame. */
export function partyView(party: StoredParty): Party {
  return {
    id: party.id,
    code: party.code,
    leader: party.leader,
    members: party.members.map((member) => ({ id: member.id, name: member.name, rating: member.rating })),
  };
}

export function createPartyStore(redis: RedisClient, keys: RedisKeys, idleSeconds = 3600) {
  const commands = redis as unknown as RedisClient & PartyCommands;
  if (!('partyCreate' in commands)) {
    redis.defineCommand('partyCreate', { numberOfKeys: 1, lua: script('party-create') });
    redis.defineCommand('partyJoin', { numberOfKeys: 1, lua: script('party-join') });
    redis.defineCommand('partyLeave', { numberOfKeys: 1, lua: script('party-leave') });
    redis.defineCommand('partyAttach', { numberOfKeys: 1, lua: script('party-attach') });
  }
  const member = (player: { id: string; name: string; rating: number }) => JSON.stringify({ id: player.id, name: player.name, rating: player.rating });

  const store = {
    idleSeconds,

    /** The code of the player's party, or null. */
    async codeOf(playerId: string): Promise<string | null> {
      return redis.get(keys.playerParty(playerId));
    },

    async get(code: string): Promise<StoredParty | null> {
      const hash = await redis.hgetall(keys.party(code));
      if (!hash.id) return null;
      return decodeParty(JSON.stringify({ ...hash, members: JSON.parse(hash.members!) }));
    },

    /** The player's party; a pointer at a party that ended is cleared. */
    async partyOf(playerId: string): Promise<StoredParty | null> {
      const code = await store.codeOf(playerId);
      if (!code) return null;
      const party = await store.get(code);
      if (party?.members.some((m) => m.id === playerId)) return party;
      // Compare-and-delete is not needed: a pointer at a dead party is dead whoever deletes it.
      await redis.del(keys.playerParty(playerId));
      return null;
    },

    /**
     * Claims the player's party pointer for `code`; false when they are in a live party. A
     * pointer left at an ended party is taken over.
     */
    async claimPointer(playerId: string, code: string): Promise<boolean> {
      const key = keys.playerParty(playerId);
      if ((await redis.set(key, code, 'EX', idleSeconds, 'NX')) === 'OK') return true;
      if (await store.partyOf(playerId)) return false;
      return (await redis.set(key, code, 'EX', idleSeconds, 'NX')) === 'OK';
    },

    async releasePointer(playerId: string, code: string): Promise<void> {
      const key = keys.playerParty(playerId);
      if ((await redis.get(key)) === code) await redis.del(key);
    },

    /** Opens a party led by `leader` under a fresh code (the pointer claimed by the caller). */
    async create(leader: { id: string; name: string; rating: number }): Promise<StoredParty> {
      for (;;) {
        const code = newPartyCode();
        if (!(await store.claimPointer(leader.id, code))) throw new AlreadyInParty();
        const json = await commands.partyCreate(keys.party(code), randomUUID(), code, member(leader), idleSeconds);
        if (json) return decodeParty(json);
        await store.releasePointer(leader.id, code); // the code is taken: draw another
      }
    },

    async join(code: string, player: { id: string; name: string; rating: number }, maxSize: number, seenTicket: TicketRef | null): Promise<JoinResult> {
      const [reason, json] = await commands.partyJoin(keys.party(code), member(player), maxSize, idleSeconds, encodeRef(seenTicket));
      if (reason === 'ok') return { ok: true, party: decodeParty(json!) };
      return { ok: false, reason: reason as 'not_found' | 'full' | 'changed' };
    },

    /** `playerId` leaves (by = playerId) or is kicked (by = the leader). */
    async leave(code: string, playerId: string, by: string): Promise<LeaveResult> {
      const [reason, json, ticket] = await commands.partyLeave(keys.party(code), playerId, by, idleSeconds);
      if (reason === 'ok' || reason === 'ended') {
        await store.releasePointer(playerId, code);
        return { ok: true, party: reason === 'ok' ? decodeParty(json!) : null, detached: decodeRef(ticket) };
      }
      return { ok: false, reason: reason as 'not_found' | 'not_member' | 'not_leader' };
    },

    /** Attaches (or, with `ticket` null, detaches `seen`) the party's ticket if nothing changed since `version` and `seen`. */
    async attach(party: StoredParty, seen: TicketRef | null, ticket: TicketRef | null): Promise<boolean> {
      return (await commands.partyAttach(keys.party(party.code), party.version, encodeRef(seen), encodeRef(ticket), idleSeconds)) === 1;
    },

    /** Keeps a party and a member's pointer alive for another idleSeconds. */
    async touch(code: string, playerId: string): Promise<void> {
      await Promise.all([redis.expire(keys.party(code), idleSeconds), redis.expire(keys.playerParty(playerId), idleSeconds)]);
    },
  };
  return store;
}

export class AlreadyInParty extends Error {
  override name = 'AlreadyInParty';
}

export type PartyStore = ReturnType<typeof createPartyStore>;
