/**
 * The shape of `GET /stats`, the dashboard's figures: types only, so that the dashboard's
 * browser code (web/dashboard/) reads the same declaration the gateway writes (stats.ts).
 */

export interface PoolSample {
  at: number;
  /** Waiting tickets per pool; null while no matcher owns the pool. */
  sizes: Record<string, number | null>;
}

export interface Histogram {
  edges: number[];
  counts: number[];
}

export interface PoolView {
  pool: string;
  mode: string;
  region: string;
  waiting: number | null;
  held: number | null;
  owner: string | null;
  lastTickMs: number | null;
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
}
