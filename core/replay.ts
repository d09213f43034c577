/**
 * Replays a trace through pools on a virtual clock (contract, "Replay"): a tick every tickMs,
 * the first at tickMs; a tick sees the events with `at` ≤ its time. After the last event it
 * keeps ticking until every pool is empty, so every ticket ends. Pure: the same events and
 * options give the same outputs, which is what makes replay a regression test.
 * The pool factory is a parameter so the baseline runs through the same harness.
 * Contract v1.1: a join with `players` is a party ticket, rated by the mode's party.aggregate;
 * room lines of a mode with more than one team add `teams`, each team's ticket ids.
 */
import { partyRating, partyRule, ticketSize } from './party.js';
import { createPool, type Pool } from './pool.js';
import { poolKey } from './rule.js';
import type { TraceEvent, TraceJoin } from './trace.js';
import type { MatchConfig, ModeRule, Ticket } from './types.js';

export type ReplayOutput =
  | { type: 'room'; at: number; mode: string; region: string; tickets: string[]; spread: number; teams?: string[][] }
  | { type: 'timeout'; at: number; ticketId: string };

export interface ReplayOptions {
  config: MatchConfig;
  tickMs: number;
  createPool?: (rule: ModeRule) => Pool;
}

/** How each ticket ended, for figures and reports. */
export interface TicketEnd {
  rating: number;
  /** Players on the ticket: 1, or a party's size. */
  size: number;
  waitedMs: number;
  outcome: 'matched' | 'timeout' | 'cancelled';
}

export interface ReplayResult {
  outputs: ReplayOutput[];
  ends: TicketEnd[];
  spreads: number[];
  /** Team imbalance of each room of a mode with more than one team. */
  imbalances: number[];
}

interface PoolSlot {
  mode: string;
  region: string;
  rule: ModeRule;
  pool: Pool;
}

/** The core ticket of a join line: one player, or a party at its rating. */
export function traceTicket(event: TraceJoin, rule: ModeRule): Ticket {
  const { at, ticketId } = event;
  if (!event.players) return { ticketId, playerId: event.playerId, rating: event.rating, joinedAt: at };
  const members = event.players.map(({ playerId, rating }) => ({ playerId, rating }));
  const rating = partyRating(members.map((member) => member.rating), partyRule(rule).aggregate);
  return { ticketId, playerId: members[0]!.playerId, rating, joinedAt: at, members };
}

export function replay(events: readonly TraceEvent[], options: ReplayOptions): ReplayResult {
  const { config, tickMs } = options;
  const make = options.createPool ?? createPool;
  const slots = new Map<string, PoolSlot>();
  for (const [mode, rule] of Object.entries(config.modes)) {
    for (const region of config.regions) slots.set(poolKey(mode, region), { mode, region, rule, pool: make(rule) });
  }
  const poolOf = new Map<string, Pool>();
  const outputs: ReplayOutput[] = [];
  const ends: TicketEnd[] = [];
  const spreads: number[] = [];
  const imbalances: number[] = [];
  let waiting = 0;

  let next = 0;
  let now = tickMs;
  while (next < events.length || waiting > 0) {
    // Nothing waits: jump to the first tick that will see the next event.
    if (waiting === 0) now = Math.max(now, Math.ceil(events[next]!.at / tickMs) * tickMs);
    for (; next < events.length && events[next]!.at <= now; next++) {
      const event = events[next]!;
      if (event.type === 'join') {
        const { pool, rule } = slots.get(poolKey(event.mode, event.region))!;
        if (!poolOf.has(event.ticketId) && pool.add(traceTicket(event, rule))) {
          poolOf.set(event.ticketId, pool);
          waiting++;
        }
      } else {
        const ticket = poolOf.get(event.ticketId)?.remove(event.ticketId);
        if (ticket) {
          poolOf.delete(ticket.ticketId);
          waiting--;
          ends.push({ rating: ticket.rating, size: ticketSize(ticket), waitedMs: event.at - ticket.joinedAt, outcome: 'cancelled' });
        }
      }
    }
    for (const { mode, region, rule, pool } of slots.values()) {
      if (pool.size === 0) continue;
      const { rooms, expired } = pool.tick(now);
      for (let r = 0; r < rooms.length; r++) {
        const tickets = rooms.ticketsOf(r);
        const line: ReplayOutput = { type: 'room', at: now, mode, region, tickets: tickets.map((t) => t.ticketId), spread: rooms.spreadOf(r) };
        if (rule.teams > 1) {
          const room = rooms.room(r);
          line.teams = teamsOf(room.teams, line.tickets, rule.teams);
          imbalances.push(room.imbalance);
        }
        outputs.push(line);
        spreads.push(rooms.spreadOf(r));
        for (const t of tickets) {
          poolOf.delete(t.ticketId);
          ends.push({ rating: t.rating, size: ticketSize(t), waitedMs: now - t.joinedAt, outcome: 'matched' });
        }
        waiting -= tickets.length;
      }
      for (const t of expired) {
        outputs.push({ type: 'timeout', at: now, ticketId: t.ticketId });
        poolOf.delete(t.ticketId);
        ends.push({ rating: t.rating, size: ticketSize(t), waitedMs: now - t.joinedAt, outcome: 'timeout' });
        waiting--;
      }
    }
    now += tickMs;
  }
  return { outputs, ends, spreads, imbalances };
}

/** Ticket ids per team, in the room's order. */
function teamsOf(teamOf: readonly number[], ticketIds: readonly string[], teams: number): string[][] {
  const out = Array.from({ length: teams }, () => [] as string[]);
  ticketIds.forEach((ticketId, i) => out[teamOf[i]!]!.push(ticketId));
  return out;
}
