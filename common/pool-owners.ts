import { poolKey } from '../core/rule.js';

/**
 * The one view of who owns which pool, read from the matchers' heartbeats: the matcher's
 * `GET /pools` and the gateway's `GET /stats` both show it. Pure; types only from outside, so
 * the dashboard's browser code can import `PoolView` too.
 */

export interface PoolView {
  pool: string;
  mode: string;
  region: string;
  /** Tickets waiting; `players` counts a party ticket's members too (v1.1). */
  waiting: number | null;
  players: number | null;
  held: number | null;
  owner: string | null;
  lastTickMs: number | null;
}

/** A heartbeat as far as this view reads it (common/presence.ts's MatcherStatus). */
interface ReportedPools {
  id: string;
  at: number;
  pools: { pool: string; waiting: number; lastTickMs: number | null; owner?: string; held?: number; players?: number }[];
}

/** Every configured pool with its owner and figures; null where no live matcher reports it. */
export function poolViews(pools: readonly { mode: string; region: string }[], statuses: readonly ReportedPools[]): PoolView[] {
  const views = new Map<string, PoolView>(
    pools.map(({ mode, region }) => {
      const pool = poolKey(mode, region);
      return [pool, { pool, mode, region, waiting: null, players: null, held: null, owner: null, lastTickMs: null }];
    }),
  );
  // During a hand-over two matchers may list a pool: the freshest heartbeat wins.
  const seen = new Map<string, number>();
  for (const status of statuses) {
    for (const entry of status.pools) {
      const view = views.get(entry.pool);
      if (!view || (seen.get(entry.pool) ?? -Infinity) > status.at) continue;
      seen.set(entry.pool, status.at);
      Object.assign(view, {
        waiting: entry.waiting,
        players: entry.players ?? entry.waiting,
        held: entry.held ?? null,
        owner: entry.owner ?? status.id,
        lastTickMs: entry.lastTickMs,
      });
    }
  }
  return [...views.values()];
}
