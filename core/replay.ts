/**
 * Replays a trace through pools on a virtual clock (contract, "Replay"): a tick every tickMs,
 * the first at tickMs; a tick sees the events with `at` ≤ its time. After the last event it
 * keeps ticking until every pool is empty, so every ticket ends. Pure: the same events and
 * options give the same outputs, which is what makes replay a regression test.
 * The pool factory is a parameter so the baseline runs through the same harness.
 */
import { createPool, type Pool } from './pool.js';
import { poolKey } from './rule.js';
import type { TraceEvent } from './trace.js';
import type { MatchConfig, ModeRule } from './types.js';

export type ReplayOutput =
  { type: 'room'; at: number; mode: string; region: string; tickets: string[]; spread: number } | { type: 'timeout'; at: number; ticketId: string };

export interface ReplayOptions {
  config: MatchConfig;
  tickMs: number;
  createPool?: (rule: ModeRule) => Pool;
}

/** How each ticket ended, for figures and reports. */
export interface TicketEnd {
  rating: number;
  waitedMs: number;
  outcome: 'matched' | 'timeout' | 'cancelled';
}

export interface ReplayResult {
  outputs: ReplayOutput[];
  ends: TicketEnd[];
  spreads: number[];
}

interface PoolSlot {
  mode: string;
  region: string;
  pool: Pool;
}

export function replay(events: readonly TraceEvent[], options: ReplayOptions): ReplayResult {
  const { config, tickMs } = options;
  const make = options.createPool ?? createPool;
  const slots = new Map<string, PoolSlot>();
  for (const [mode, rule] of Object.entries(config.modes)) {
    for (const region of config.regions) slots.set(poolKey(mode, region), { mode, region, pool: make(rule) });
  }
  const poolOf = new Map<string, Pool>();
  const outputs: ReplayOutput[] = [];
  const ends: TicketEnd[] = [];
  const spreads: number[] = [];
  let waiting = 0;

  let next = 0;
  let now = tickMs;
  while (next < events.length || waiting > 0) {
    // Nothing waits: jump to the first tick that will see the next event.
    if (waiting === 0) now = Math.max(now, Math.ceil(events[next]!.at / tickMs) * tickMs);
    for (; next < events.length && events[next]!.at <= now; next++) {
      const event = events[next]!;
      if (event.type === 'join') {
        const pool = slots.get(poolKey(event.mode, event.region))!.pool;
        const { at, ticketId, playerId, rating } = event;
        if (!poolOf.has(ticketId) && pool.add({ ticketId, playerId, rating, joinedAt: at })) {
          poolOf.set(ticketId, pool);
          waiting++;
        }
      } else {
        const ticket = poolOf.get(event.ticketId)?.remove(event.ticketId);
        if (ticket) {
          poolOf.delete(ticket.ticketId);
          waiting--;
          ends.push({ rating: ticket.rating, waitedMs: event.at - ticket.joinedAt, outcome: 'cancelled' });
        }
      }
    }
    for (const { mode, region, pool } of slots.values()) {
      if (pool.size === 0) continue;
      const { rooms, expired } = pool.tick(now);
      for (let r = 0; r < rooms.length; r++) {
        const tickets = rooms.ticketsOf(r);
        outputs.push({ type: 'room', at: now, mode, region, tickets: tickets.map((t) => t.ticketId), spread: rooms.spreadOf(r) });
        spreads.push(rooms.spreadOf(r));
        for (const t of tickets) {
          poolOf.delete(t.ticketId);
          ends.push({ rating: t.rating, waitedMs: now - t.joinedAt, outcome: 'matched' });
        }
        waiting -= tickets.length;
      }
      for (const t of expired) {
        outputs.push({ type: 'timeout', at: now, ticketId: t.ticketId });
        poolOf.delete(t.ticketId);
        ends.push({ rating: t.rating, waitedMs: now - t.joinedAt, outcome: 'timeout' });
        waiting--;
      }
    }
    now += tickMs;
  }
  return { outputs, ends, spreads };
}
