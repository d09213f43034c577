/**
 * The baseline for parties (issue 11, item 3): rooms filled first-come-first-served with parties
 * whole. Each tick, the oldest free ticket opens a room and takes the next oldest tickets that
 * fit (seats left, the rule kept for everyone in it) until the room is full and can be seated;
 * then the next oldest free ticket, and so on. Team split and expiry are the core's, so only
 * the choice of rooms differs. Quadratic in the pool, as a first-come-first-served queue is.
 */
import { FormedRooms } from '../../core/formed-rooms.js';
import { partyRule, ticketSize } from '../../core/party.js';
import { balancePartyTeams, canSeat } from '../../core/party-teams.js';
import type { Pool } from '../../core/pool.js';
import { roomSize, windowAt } from '../../core/rule.js';
import type { FormedRoom, ModeRule, Ticket } from '../../core/types.js';

const byWait = (a: Ticket, b: Ticket) => a.joinedAt - b.joinedAt || (a.ticketId < b.ticketId ? -1 : a.ticketId > b.ticketId ? 1 : 0);

export function createPartyBaselinePool(rule: ModeRule): Pool {
  const tickets = new Map<string, Ticket>();
  const k = roomSize(rule);
  const maxSize = partyRule(rule).maxSize;

  const fits = (room: Ticket[], now: number) => {
    let low = Infinity;
    let high = -Infinity;
    for (const t of room) {
      low = Math.min(low, t.rating);
      high = Math.max(high, t.rating);
    }
    return room.every((t) => high - low <= windowAt(rule, now - t.joinedAt));
  };
  const seatable = (room: Ticket[]) => {
    const counts = new Int32Array(maxSize + 1);
    for (const t of room) counts[ticketSize(t)]!++;
    return canSeat(counts, rule.teams, rule.teamSize);
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
      const queue = [...tickets.values()].sort(byWait);
      const taken = new Set<Ticket>();
      const rooms: FormedRoom[] = [];
      for (const anchor of queue) {
        if (taken.has(anchor)) continue;
        const room = [anchor];
        let players = ticketSize(anchor);
        for (const next of queue) {
          if (players === k) break;
          if (next === anchor || taken.has(next) || players + ticketSize(next) > k) continue;
          room.push(next);
          if (!fits(room, now) || (players + ticketSize(next) === k && !seatable(room))) {
            room.pop();
            continue;
          }
          players += ticketSize(next);
        }
        // A room the anchor fills alone is checked here: the loop above checked only what it added.
        if (players !== k || !fits(room, now) || !seatable(room)) continue;
        for (const t of room) {
          taken.add(t);
          tickets.delete(t.ticketId);
        }
        rooms.push(toRoom(room, rule));
      }
      const expired = queue.filter((t) => !taken.has(t) && now - t.joinedAt >= rule.maxWaitSeconds * 1000);
      for (const t of expired) tickets.delete(t.ticketId);
      return { rooms: FormedRooms.of(rooms, k), expired };
    },
  };
}

function toRoom(members: Ticket[], rule: ModeRule): FormedRoom {
  const down = [...members].sort((a, b) => b.rating - a.rating);
  const { teamOf, imbalance } = balancePartyTeams(
    down.map(ticketSize),
    down.map((t) => t.rating),
    rule.teams,
    rule.teamSize,
  );
  const order = down.map((_, i) => i).sort((a, b) => teamOf[a]! - teamOf[b]! || a - b);
  return { tickets: order.map((i) => down[i]!), teams: order.map((i) => teamOf[i]!), spread: down[0]!.rating - down[down.length - 1]!.rating, imbalance };
}
