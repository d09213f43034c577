/**
 * The shape of `GET /stats`, the dashboard's figures: types only, so that the dashboard's
 * browser code (web/dashboard/) reads the same declaration the gateway writes (stats.ts).
 */
import type { PoolView } from '../../common/pool-owners.js';

export type { PoolView };

export interface PoolSample {
  at: number;
  /** Waiting players per pool (a party ticket counts its members); null while no matcher owns the pool. */
  sizes: Record<string, number | null>;
}

export interface Histogram {
  edges: number[];
  counts: number[];
}

export interface StatsSnapshot {
  v: 1;
  at: number;
  windowMs: number;
  /** False when the last read of the matchers' heartbeats failed (figures are then stale). */
  live: boolean;
  matchers: { id: string; at: number; pools: string[] }[];
  pools: PoolView[];
  poolHistory: PoolSample[];
  rooms: {
    total: number;
    lastMinute: number;
    perMinute: { at: number; count: number }[];
    recent: { at: number; pool: string; spread: number; players: number; meanWaitMs: number }[];
  };
  waitSeconds: Histogram;
  spread: Histogram;
  /** v1.1: from the results in PostgreSQL; absent until the gateway first read them. */
  ratings?: RatingFigures;
  /** v1.1: what the config turns on (the dashboard shows those panels). */
  features: { parties: boolean; readyCheck: boolean; allocation: boolean };
  /** v1.1: rooms in the window per party make-up ("2+1+1": a pair and two solos). */
  makeups: Record<string, number>;
  readyCheck: ReadyCheckView;
  allocation: AllocationView;
}

export interface ProposalTally {
  proposed: number;
  accepted: number;
  declined: number;
  timedOut: number;
  other: number;
}

/** v1.1 ready check, from the matchers' heartbeats (beside their Prometheus counters). */
export interface ReadyCheckView {
  total: ProposalTally;
  perMinute: (ProposalTally & { at: number })[];
}

/** v1.1 allocation, from the allocators' statuses in Redis (beside their Prometheus metrics). */
export interface AllocationView {
  /** Allocators live now. */
  allocators: number;
  allocated: number;
  failed: number;
  failures: Record<string, number>;
  retries: Record<string, number>;
  /** Rooms per allocation-time bucket, in seconds. */
  seconds: Histogram;
  perMinute: { at: number; allocated: number; failed: number; retries: number }[];
}

/** One player's rating change from one game's result. */
export interface RatingChangeView {
  at: number;
  roomId: string;
  playerId: string;
  name: string;
  mode: string;
  before: number;
  after: number;
}

/** Ratings moving (v1.1): the latest changes, what results did over the window, and where ratings stand. */
export interface RatingFigures {
  /** Newest first. */
  recent: RatingChangeView[];
  /** Results applied within the window, the players they moved, and the mean size of a move (points). */
  games: number;
  moved: number;
  meanMove: number;
  /** Per mode, rated players (those with a result in the mode) per bucket of `width` points; `edges[i]` is a bucket's low end. */
  distribution: { mode: string; width: number; edges: number[]; counts: number[]; players: number }[];
}
