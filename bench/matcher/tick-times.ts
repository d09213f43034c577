/**
 * Tick time over a pool of n tickets that all arrived at once, measured one second later
 * (windows of 50: nearly everyone fits a room, the most work a tick can have). The pool is
 * reused across repetitions, as the live matcher's is, so buffers are warm; gc runs before
 * each measured tick so a collection owed by setup is not billed to the tick.
 */
import { performance } from 'node:perf_hooks';
import type { Pool } from '../../core/pool.js';
import type { ModeRule } from '../../core/types.js';
import { seededRandom } from '../../core/seeded-random.js';
import { gaussian } from './traces.js';

export interface TickTime {
  n: number;
  medianMs: number;
  maxMs: number;
  rooms: number;
  repetitions: number;
}

export function measureTick(make: (rule: ModeRule) => Pool, rule: ModeRule, n: number, repetitions: number, gc: () => void): TickTime {
  const pool = make(rule);
  const rand = seededRandom(n);
  const times: number[] = [];
  let rooms = 0;
  // One unmeasured round first: JIT and buffer growth are not what a running matcher pays.
  for (let rep = -1; rep < repetitions; rep++) {
    const t0 = (rep + 1) * 10_000_000;
    for (let i = 0; i < n; i++) {
      pool.add({ ticketId: `${rep}-${i}`, playerId: `p${i}`, rating: Math.round(gaussian(rand, 1500, 300)), joinedAt: t0 });
    }
    gc();
    const start = performance.now();
    const result = pool.tick(t0 + 1000);
    const ms = performance.now() - start;
    if (rep >= 0) {
      times.push(ms);
      rooms = result.rooms.length;
    }
    pool.tick(t0 + rule.maxWaitSeconds * 1000); // empty the pool for the next round
  }
  times.sort((a, b) => a - b);
  return { n, medianMs: times[times.length >> 1]!, maxMs: times[times.length - 1]!, rooms, repetitions };
}

/** Float64Array.sort of 100k numbers: the machine's yardstick the budget was set against. */
export function referenceSortMs(): number {
  const rand = seededRandom(42);
  const times: number[] = [];
  for (let rep = 0; rep < 7; rep++) {
    const values = Float64Array.from({ length: 100_000 }, () => rand());
    const start = performance.now();
    values.sort();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[3]!;
}
