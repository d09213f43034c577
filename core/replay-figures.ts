/**
 * The figures a replay is judged by, shared by `npm run simulate` and the bench so both
 * report the same numbers the same way.
 */
import type { ReplayResult } from './replay.js';

export interface ReplayFigures {
  tickets: number;
  rooms: number;
  matched: number;
  cancelled: number;
  timeouts: number;
  /** Tickets ended by the ready check (contract v1.1) and by failed allocations. */
  declined: number;
  acceptTimeouts: number;
  allocationFailed: number;
  /** Matched tickets over all tickets that joined. */
  matchedShare: number;
  /** Waits of matched tickets, ms. */
  waitP50: number;
  waitP95: number;
  /** The tail without one player's luck: on pooled traces the max is a single ticket among hundreds of thousands. */
  waitP99: number;
  waitMax: number;
  spreadMean: number;
  spreadP95: number;
  /**
   * The tail at the rating extremes: p95 wait of the tickets rated in the lowest and highest
   * 2.5% that were matched or timed out (a timeout counts with its full wait), ms.
   */
  extremesWaitP95: number;
}

/** Nearest-rank quantile of an ascending array; 0 when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const ascending = (a: number, b: number) => a - b;

export function replayFigures({ ends, spreads }: ReplayResult): ReplayFigures {
  const waits = ends
    .filter((e) => e.outcome === 'matched')
    .map((e) => e.waitedMs)
    .sort(ascending);
  const decided = ends.filter((e) => e.outcome !== 'cancelled');
  const ratings = ends.map((e) => e.rating).sort(ascending);
  const low = quantile(ratings, 0.025);
  const high = quantile(ratings, 0.975);
  const extremes = decided
    .filter((e) => e.rating <= low || e.rating >= high)
    .map((e) => e.waitedMs)
    .sort(ascending);
  const sortedSpreads = [...spreads].sort(ascending);
  const count = (outcome: string) => ends.filter((e) => e.outcome === outcome).length;
  return {
    tickets: ends.length,
    rooms: spreads.length,
    matched: waits.length,
    cancelled: count('cancelled'),
    timeouts: count('timeout'),
    declined: count('declined'),
    acceptTimeouts: count('accept_timeout'),
    allocationFailed: count('allocation_failed'),
    matchedShare: ends.length === 0 ? 0 : waits.length / ends.length,
    waitP50: quantile(waits, 0.5),
    waitP95: quantile(waits, 0.95),
    waitP99: quantile(waits, 0.99),
    waitMax: waits.length === 0 ? 0 : waits[waits.length - 1]!,
    spreadMean: spreads.length === 0 ? 0 : spreads.reduce((a, b) => a + b, 0) / spreads.length,
    spreadP95: quantile(sortedSpreads, 0.95),
    extremesWaitP95: quantile(extremes, 0.95),
  };
}
