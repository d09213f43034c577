import type { Knex } from 'knex';
import type { Logger } from '../../common/logger.js';
import type { RatingChangeView, RatingFigures } from './stats-snapshot.js';
import { STATS_WINDOW_MS } from './stats.js';
import { createPoller } from '../../common/poller.js';

/**
 * Ratings moving, for the dashboard and for the lobby's "your rating after the game": read from
 * PostgreSQL (rating_history, ratings) every few seconds, so every gateway shows every result.
 * Everything but `createRatingFigures` is pure and tested alone.
 */

/** How many of the latest changes are kept: the lobby looks for its player's among them. */
export const RECENT_CHANGES = 40;
/** Width of a distribution bucket, in rating points. */
export const RATING_BUCKET = 100;
/** A mode spread wider than this many buckets is drawn in wider ones. */
export const MAX_BUCKETS = 24;

/** Rated players per mode as `(mode, low end of a RATING_BUCKET-wide bucket, count)` rows → one histogram a mode, no gaps. */
export function ratingDistribution(rows: { mode: string; bucket: number; players: number }[]): RatingFigures['distribution'] {
  const byMode = new Map<string, Map<number, number>>();
  for (const row of rows) {
    const buckets = byMode.get(row.mode) ?? new Map<number, number>();
    buckets.set(row.bucket, (buckets.get(row.bucket) ?? 0) + row.players);
    byMode.set(row.mode, buckets);
  }
  return [...byMode.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([mode, buckets]) => {
      const lows = [...buckets.keys()];
      const min = Math.min(...lows);
      const max = Math.max(...lows);
      const span = (max - min) / RATING_BUCKET + 1;
      const width = RATING_BUCKET * Math.max(1, Math.ceil(span / MAX_BUCKETS));
      const first = Math.floor(min / width) * width;
      const count = Math.floor((max - first) / width) + 1;
      const edges = Array.from({ length: count }, (_, index) => first + index * width);
      const counts = edges.map(() => 0);
      for (const [low, players] of buckets) counts[Math.floor((low - first) / width)]! += players;
      return { mode, width, edges, counts, players: counts.reduce((sum, players) => sum + players, 0) };
    });
}

export function createRatingFigures({ db, logger, pollMs = 2000, clock = Date.now }: { db: Knex; logger: Logger; pollMs?: number; clock?: () => number }) {
  let figures: RatingFigures | undefined;
  let failing = false;

  async function poll(): Promise<void> {
    try {
      const since = new Date(clock() - STATS_WINDOW_MS);
      type Row = Record<string, unknown>;
      const rows = async (sql: string, bindings: unknown[] = []) => ((await db.raw(sql, bindings as Knex.RawBinding[])) as { rows: Row[] }).rows;
      const [recent, window, distribution] = await Promise.all([
        rows(
          `select h.at, h.room_id, h.player_id, p.name, h.mode, h.before, h.after
           from rating_history h left join players p on p.id::text = h.player_id order by h.at desc limit ?`,
          [RECENT_CHANGES],
        ),
        rows(
          'select count(distinct room_id)::int as games, count(*)::int as moved, coalesce(avg(abs(after - before)), 0)::float as mean from rating_history where at > ?',
          [since],
        ),
        rows(`select mode, (floor(mu / ${RATING_BUCKET}) * ${RATING_BUCKET})::int as bucket, count(*)::int as players from ratings group by 1, 2`),
      ]);
      figures = {
        recent: recent.map((row): RatingChangeView => ({
          at: new Date(row.at as string | Date).getTime(),
          roomId: row.room_id as string,
          playerId: row.player_id as string,
          name: (row.name as string | null) ?? 'unknown player',
          mode: row.mode as string,
          before: row.before as number,
          after: row.after as number,
        })),
        games: (window[0]?.games as number | undefined) ?? 0,
        moved: (window[0]?.moved as number | undefined) ?? 0,
        meanMove: Math.round(((window[0]?.mean as number | undefined) ?? 0) * 10) / 10,
        distribution: ratingDistribution(distribution as { mode: string; bucket: number; players: number }[]),
      };
      if (failing) logger.info('stats: reading rating figures works again');
      failing = false;
    } catch (error) {
      // The figures read last stay; the dashboard keeps showing them.
      if (!failing) logger.warn({ err: (error as Error).message }, 'stats: reading rating figures failed');
      failing = true;
    }
  }

  const poller = createPoller(poll, pollMs);
  return {
    start: () => poller.start(),
    snapshot: (): RatingFigures | undefined => figures,
    stop: () => poller.stop(),
  };
}
