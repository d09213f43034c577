/**
 * Heap bytes per waiting ticket: the Ticket objects with their id strings (what any matcher
 * holds), and what the pool adds on top (its index, dense arrays and per-tick buffers).
 */
import { createPool } from '../../core/pool.js';
import type { ModeRule, Ticket } from '../../core/types.js';
import { seededRandom } from '../../core/seeded-random.js';
import { gaussian } from './traces.js';

export interface MemoryFigures {
  n: number;
  ticketBytes: number;
  poolBytes: number;
}

export function measureMemory(rule: ModeRule, n: number, gc: () => void): MemoryFigures {
  const rand = seededRandom(7);
  const heap = () => {
    gc();
    gc(); // a second pass frees what the first only finalised
    return process.memoryUsage().heapUsed;
  };
  const base = heap();
  // Tickets parsed from JSON, as the matcher gets them: flat id strings (built ones would be
  // ropes that the pool's hashing flattens, and crypto.randomUUID() strings keep ~1 KB of
  // its batch buffer alive each).
  const uuid = () => {
    const hex = (digits: number) =>
      Math.floor(rand() * 16 ** digits)
        .toString(16)
        .padStart(digits, '0');
    return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(6)}${hex(6)}`;
  };
  const tickets: Ticket[] = [];
  for (let i = 0; i < n; i++) {
    const rating = Math.round(gaussian(rand, 1500, 300));
    tickets.push(JSON.parse(`{"ticketId":"${uuid()}","playerId":"${uuid()}","rating":${rating},"joinedAt":${1_700_000_000_000 + i}}`));
  }
  const withTickets = heap();
  const pool = createPool(rule);
  for (const t of tickets) pool.add(t);
  // Distinct ratings at zero wait: nobody fits, so the tick allocates its buffers and keeps all.
  pool.tick(1_700_000_000_000);
  const withPool = heap();
  if (pool.size !== n) throw new Error(`memory bench: pool kept ${pool.size} of ${n}`);
  return { n, ticketBytes: (withTickets - base) / n, poolBytes: (withPool - withTickets) / n };
}
