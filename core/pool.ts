/**
 * One pool's waiting tickets (one mode in one region), as the live matcher and the replay
 * hold them. Adding is idempotent by ticketId because the broker delivers at least once, and
 * accepts any joinedAt because the matcher returns the tickets of a room it failed to publish.
 *
 * Layout: tickets sit in dense arrays that a tick reads as they are, and an id index points at
 * their slots. A tick that ends tens of thousands of tickets does not delete them from the
 * index (Map deletes would take a good part of its budget; docs/matching.md, "Cost"), nor even
 * write to their entries: it lists them as dead, their slots no longer point back at them, and
 * later add() / remove() calls delete a few each, so the tick stays within its budget and the
 * index stays within a constant factor of the pool.
 *
 * Parties: the pool counts the party tickets it holds (more than one player). A tick with none
 * runs the solo RoomFormer, the same code and the same rooms as before parties existed; a tick
 * with any runs the party-aware PartyRoomFormer (core/party-rooms.ts) over the whole pool.
 */
import { DEFAULT_POLICY, KEPT, RoomFormer, type FormingPolicy } from './form-rooms.js';
import { checkTicketSize, ticketSize } from './party.js';
import { PartyRoomFormer } from './party-rooms.js';
import { ticketIdHash } from './ticket-order.js';
import type { ModeRule, Ticket, TickResult } from './types.js';

export interface Pool {
  /** False when a ticket with that id is already waiting. */
  add(ticket: Ticket): boolean;
  remove(ticketId: string): Ticket | undefined;
  has(ticketId: string): boolean;
  get(ticketId: string): Ticket | undefined;
  readonly size: number;
  /** Players waiting: the tickets' sizes added up (a party ticket counts its members). The bench's baselines leave it out. */
  readonly players?: number;
  /** Forms rooms, then expires; both leave the pool. */
  tick(now: number): TickResult;
}

interface Entry {
  readonly ticketId: string;
  /**
   * Index in the dense arrays while the ticket waits (then entries[slot] is this entry). A tick
   * does not write to the entries of the tickets it ends (a cache miss each: docs/matching.md,
   * "Cost"): their slot is left as it was, and entries[slot] is another entry or none.
   */
  slot: number;
}

/** Dead index entries deleted per add() / remove(): more than one, so the index shrinks. */
const SWEEP_PER_CALL = 2;

export function createPool(rule: ModeRule, policy: FormingPolicy = DEFAULT_POLICY): Pool {
  const index = new Map<string, Entry>();
  const former = new RoomFormer(rule, policy);
  let partyFormer: PartyRoomFormer | undefined;
  /** Tickets of more than one player now in the pool. */
  let parties = 0;
  let players = 0;
  const tickets: Ticket[] = [];
  const entries: Entry[] = [];
  // Per slot, beside `tickets`: what the tick sorts on, so it need not visit the objects.
  let hashes = new Uint32Array(64);
  let ratings = new Float64Array(64);
  let joinedAts = new Float64Array(64);
  let sizes = new Uint8Array(64);
  const dead: Entry[] = [];

  const waiting = (entry: Entry): boolean => entry.slot >= 0 && entry.slot < entries.length && entries[entry.slot] === entry;
  const live = (ticketId: string): Entry | undefined => {
    const entry = index.get(ticketId);
    return entry && waiting(entry) ? entry : undefined;
  };
  const sweep = (): void => {
    for (let s = 0; s < SWEEP_PER_CALL && dead.length > 0; s++) {
      const entry = dead.pop()!;
      if (!waiting(entry) && index.get(entry.ticketId) === entry) index.delete(entry.ticketId);
    }
  };

  return {
    add(ticket) {
      sweep();
      if (live(ticket.ticketId)) return false;
      if (!Number.isFinite(ticket.rating) || !Number.isFinite(ticket.joinedAt)) {
        throw new RangeError(`ticket ${ticket.ticketId}: rating and joinedAt must be finite numbers`);
      }
      checkTicketSize(ticket, rule);
      if (ticketSize(ticket) > 1) parties++;
      players += ticketSize(ticket);
      const slot = tickets.length;
      if (hashes.length === slot) {
        hashes = grow(hashes, new Uint32Array(slot * 2));
        ratings = grow(ratings, new Float64Array(slot * 2));
        joinedAts = grow(joinedAts, new Float64Array(slot * 2));
        sizes = grow(sizes, new Uint8Array(slot * 2));
      }
      const entry = { ticketId: ticket.ticketId, slot };
      index.set(ticket.ticketId, entry);
      tickets.push(ticket);
      entries.push(entry);
      hashes[slot] = ticketIdHash(ticket.ticketId);
      ratings[slot] = ticket.rating;
      joinedAts[slot] = ticket.joinedAt;
      sizes[slot] = ticketSize(ticket);
      return true;
    },
    remove(ticketId) {
      sweep();
      const entry = live(ticketId);
      if (!entry) return undefined;
      const slot = entry.slot;
      const ticket = tickets[slot]!;
      if (ticketSize(ticket) > 1) parties--;
      players -= ticketSize(ticket);
      // Move the last ticket into the freed slot.
      const last = tickets.length - 1;
      tickets[slot] = tickets[last]!;
      entries[slot] = entries[last]!;
      entries[slot]!.slot = slot;
      hashes[slot] = hashes[last]!;
      ratings[slot] = ratings[last]!;
      joinedAts[slot] = joinedAts[last]!;
      sizes[slot] = sizes[last]!;
      tickets.pop();
      entries.pop();
      entry.slot = -1;
      index.delete(ticketId);
      return ticket;
    },
    has: (ticketId) => live(ticketId) !== undefined,
    get(ticketId) {
      const entry = live(ticketId);
      return entry && tickets[entry.slot];
    },
    get size() {
      return tickets.length;
    },
    get players() {
      return players;
    },
    tick(now) {
      const n = tickets.length;
      const { rooms, expired, fate } =
        parties > 0
          ? (partyFormer ??= new PartyRoomFormer(rule, policy)).run(tickets, ratings, joinedAts, hashes, sizes, n, now)
          : former.run(tickets, ratings, joinedAts, hashes, n, now);
      // Compact the dense arrays in place, keeping the order of the tickets that stay.
      let kept = 0;
      for (let j = 0; j < n; j++) {
        const entry = entries[j]!;
        if (fate[j] !== KEPT) {
          if (sizes[j]! > 1) parties--;
          players -= sizes[j]!;
          dead.push(entry);
          continue;
        }
        tickets[kept] = tickets[j]!;
        entries[kept] = entry;
        hashes[kept] = hashes[j]!;
        ratings[kept] = ratings[j]!;
        joinedAts[kept] = joinedAts[j]!;
        sizes[kept] = sizes[j]!;
        entry.slot = kept++;
      }
      tickets.length = kept;
      entries.length = kept;
      return { rooms, expired };
    },
  };
}

function grow<T extends Uint32Array | Float64Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
