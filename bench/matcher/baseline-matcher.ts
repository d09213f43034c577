/**
 * The original game's rule, kept only to measure against (issue 3, "The baseline to beat"):
 * every tick, sort the pool by rating, scan from the low end for the first run of roomSize
 * consecutive players whose spread is within every one's window, form it, then re-sort and
 * rescan from the start until no run is found. Quadratic on purpose: that is what it did.
 * Expiry, team split and room shape are the core's, so only the choice of rooms differs.
 */
import { windowAt, roomSize } from '../../core/rule.js';
import type { Pool } from '../../core/pool.js';
import type { FormedRoom, ModeRule, Ticket } from '../../core/types.js';
import { buildTeamRoom } from '../../core/form-rooms.js';
import { FormedRooms } from '../../core/formed-rooms.js';

const byRating = (a: Ticket, b: Ticket) => a.rating - b.rating || a.joinedAt - b.joinedAt || (a.ticketId < b.ticketId ? -1 : a.ticketId > b.ticketId ? 1 : 0);

export function createBaselinePool(rule: ModeRule): Pool {
  const tickets = new Map<string, Ticket>();
  const k = roomSize(rule);

  const firstRun = (sorted: Ticket[], now: number): number => {
    for (let i = 0; i + k <= sorted.length; i++) {
      const spread = sorted[i + k - 1]!.rating - sorted[i]!.rating;
      let fits = true;
      for (let j = i; j < i + k && fits; j++) fits = spread <= windowAt(rule, now - sorted[j]!.joinedAt);
      if (fits) return i;
    }
    return -1;
  };

  return {
    add(ticket) {
      if (tickets.has(ticket.ticketId)) return false;
      tickets.set(ticket.ticketId, ticket);
      return true;
    },
    remove(ticketId) {
      const ticket = tickets.get(ticketId);
      tickets.delete(ticketId);
      return ticket;
    },
    has: (ticketId) => tickets.has(ticketId),
    get: (ticketId) => tickets.get(ticketId),
    get size() {
      return tickets.size;
    },
    tick(now) {
      const pool = [...tickets.values()];
      const rooms: FormedRoom[] = [];
      for (;;) {
        pool.sort(byRating);
        const i = firstRun(pool, now);
        if (i < 0) break;
        const members = pool.splice(i, k).reverse();
        for (const t of members) tickets.delete(t.ticketId);
        rooms.push(toRoomOf(members, rule));
      }
      const expired = pool.filter((t) => now - t.joinedAt >= rule.maxWaitSeconds * 1000).sort((a, b) => a.joinedAt - b.joinedAt || byRating(a, b));
      for (const t of expired) tickets.delete(t.ticketId);
      return { rooms: FormedRooms.of(rooms, k), expired };
    },
  };
}

/** `members` descending by rating: the same team split as the core's rooms, so only the choice of rooms differs. */
function toRoomOf(members: Ticket[], rule: ModeRule): FormedRoom {
  return buildTeamRoom(members, members[0]!.rating - members[members.length - 1]!.rating, rule);
}
