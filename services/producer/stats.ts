import type { RedisClient } from '../../common/redis.js';
import { poolsOf, type Config } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import { matcherStatuses, type MatcherStatus } from '../../common/presence.js';
import { RECENT_ROOMS, SPREAD_EDGES, WAIT_EDGES_S, type RecentRoom, type RoomFigures } from '../../common/room-figures.js';
import { poolKey } from '../../core/rule.js';
import type { Histogram, PoolSample, PoolView, StatsSnapshot } from './stats-snapshot.js';

export type { Histogram, PoolSample, PoolView, StatsSnapshot };

/**
 * The dashboard's figures (`GET /stats`), all from the matchers' heartbeats in Redis: pool
 * sizes and owners, and the rooms each matcher counted since it started, turned into one
 * sample a second of what changed. Every gateway sees every room, with no queue of its own.
 * Memory is bounded: ten minutes of samples. Everything but `createStats` is pure and tested alone.
 */

export const STATS_WINDOW_MS = 10 * 60_000;
/** Hard cap on samples kept (one a second over the window, with room to spare). */
export const MAX_SAMPLES = 1_200;

/** Rooms formed between two reads of the heartbeats, all matchers together. */
export interface RoomsSample {
  at: number;
  rooms: number;
  waitCounts: number[];
  spreadCounts: number[];
}

/**
 * What a matcher formed between two reads of its figures. A matcher that restarted (new
 * `since`, or counts that went down) counts from zero again; one not seen before counts
 * nothing yet, so a gateway that starts late does not take a matcher's whole past for now.
 */
export function figuresDelta(previous: RoomFigures | undefined, current: RoomFigures, at: number): RoomsSample {
  const none = { at, rooms: 0, waitCounts: WAIT_EDGES_S.map(() => 0), spreadCounts: SPREAD_EDGES.map(() => 0) };
  if (!previous) return none;
  const restarted = previous.since !== current.since || current.rooms < previous.rooms;
  const base = restarted ? { rooms: 0, waitCounts: none.waitCounts, spreadCounts: none.spreadCounts } : previous;
  return {
    at,
    rooms: current.rooms - base.rooms,
    waitCounts: current.waitCounts.map((count, index) => count - (base.waitCounts[index] ?? 0)),
    spreadCounts: current.spreadCounts.map((count, index) => count - (base.spreadCounts[index] ?? 0)),
  };
}

/** Adds samples up, bucket by bucket. */
export function sumSamples(samples: RoomsSample[], at: number): RoomsSample {
  const total: RoomsSample = { at, rooms: 0, waitCounts: WAIT_EDGES_S.map(() => 0), spreadCounts: SPREAD_EDGES.map(() => 0) };
  for (const sample of samples) {
    total.rooms += sample.rooms;
    sample.waitCounts.forEach((count, index) => {
      total.waitCounts[index]! += count;
    });
    sample.spreadCounts.forEach((count, index) => {
      total.spreadCounts[index]! += count;
    });
  }
  return total;
}

/**
 * Rooms per wall-clock minute over the last `minutes` minutes, oldest first; the last bucket
 * is the minute in progress (`partial`).
 */
export function roomsPerMinute(samples: RoomsSample[], now: number, minutes = STATS_WINDOW_MS / 60_000): { at: number; count: number }[] {
  const current = Math.floor(now / 60_000) * 60_000;
  const first = current - (minutes - 1) * 60_000;
  const buckets = Array.from({ length: minutes }, (_, index) => ({ at: first + index * 60_000, count: 0 }));
  for (const sample of samples) {
    const index = Math.floor((sample.at - first) / 60_000);
    if (index >= 0 && index < minutes) buckets[index]!.count += sample.rooms;
  }
  return buckets;
}

/** Drops samples older than the window and then the oldest beyond `cap`; samples are in time order. */
export function prune<T extends { at: number }>(samples: T[], now: number, cap: number, windowMs = STATS_WINDOW_MS): T[] {
  let start = 0;
  while (start < samples.length && samples[start]!.at < now - windowMs) start++;
  start = Math.max(start, samples.length - cap);
  return start > 0 ? samples.slice(start) : samples;
}

/** The latest rooms of all matchers, newest first. */
export function recentRooms(statuses: MatcherStatus[]): RecentRoom[] {
  return statuses
    .flatMap((status) => status.figures?.recent ?? [])
    .sort((a, b) => b.at - a.at)
    .slice(0, RECENT_ROOMS);
}

/** Who owns each configured pool and how many wait there, from the matchers' statuses. */
export function poolViews(pools: { mode: string; region: string }[], statuses: MatcherStatus[]): PoolView[] {
  const views = new Map<string, PoolView>(
    pools.map(({ mode, region }) => {
      const pool = poolKey(mode, region);
      return [pool, { pool, mode, region, waiting: null, held: null, owner: null, lastTickMs: null }];
    }),
  );
  // During a hand-over two matchers may list a pool: the freshest heartbeat wins.
  const seen = new Map<string, number>();
  for (const status of statuses) {
    for (const entry of status.pools) {
      const view = views.get(entry.pool);
      if (!view || (seen.get(entry.pool) ?? -Infinity) > status.at) continue;
      seen.set(entry.pool, status.at);
      Object.assign(view, { waiting: entry.waiting, held: entry.held ?? null, owner: entry.owner ?? status.id, lastTickMs: entry.lastTickMs });
    }
  }
  return [...views.values()];
}

/** Everything the dashboard draws, from the samples kept. */
export function summarize(input: {
  now: number;
  live: boolean;
  statuses: MatcherStatus[];
  pools: PoolView[];
  poolHistory: PoolSample[];
  rooms: RoomsSample[];
}): StatsSnapshot {
  const { now } = input;
  const inWindow = input.rooms.filter((sample) => sample.at >= now - STATS_WINDOW_MS);
  const total = sumSamples(inWindow, now);
  return {
    v: 1,
    at: now,
    windowMs: STATS_WINDOW_MS,
    live: input.live,
    matchers: input.statuses
      .map((status) => ({ id: status.id, at: status.at, pools: status.pools.map((entry) => entry.pool).sort() }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    pools: input.pools,
    poolHistory: input.poolHistory.filter((sample) => sample.at >= now - STATS_WINDOW_MS),
    rooms: {
      total: total.rooms,
      lastMinute: sumSamples(
        inWindow.filter((sample) => sample.at > now - 60_000),
        now,
      ).rooms,
      perMinute: roomsPerMinute(inWindow, now),
      recent: recentRooms(input.statuses),
    },
    waitSeconds: { edges: WAIT_EDGES_S, counts: total.waitCounts },
    spread: { edges: SPREAD_EDGES, counts: total.spreadCounts },
  };
}

export interface StatsDeps {
  config: Config;
  redis: RedisClient;
  logger: Logger;
  clock?: () => number;
  /** How often the matchers' heartbeats are read and pool sizes sampled. Defaults to 1 s. */
  pollMs?: number;
}

/**
 * The live shell: a poll of the matchers' heartbeats. `snapshot()` is synchronous so it fits
 * the gateway's plain JSON routes.
 */
export function createStats({ config, redis, logger, clock = Date.now, pollMs = 1000 }: StatsDeps) {
  const pools = poolsOf(config.match);
  let rooms: RoomsSample[] = [];
  let poolHistory: PoolSample[] = [];
  let statuses: MatcherStatus[] = [];
  const lastFigures = new Map<string, RoomFigures>();
  let live = false;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> = Promise.resolve();

  async function poll(): Promise<void> {
    const now = clock();
    try {
      statuses = await matcherStatuses(
        redis,
        config.MATCHQ_NAMESPACE,
        (matcherId, err) => logger.warn({ matcherId, err }, 'stats: left out a heartbeat that does not parse'),
        now,
      );
      live = true;
    } catch (error) {
      if (live) logger.warn({ err: (error as Error).message }, 'stats: reading matcher heartbeats failed');
      live = false;
    }
    if (live) {
      const deltas = statuses.flatMap((status) => {
        if (!status.figures) return [];
        const delta = figuresDelta(lastFigures.get(status.id), status.figures, now);
        lastFigures.set(status.id, status.figures);
        return [delta];
      });
      rooms.push(sumSamples(deltas, now));
    }
    const sizes = Object.fromEntries(poolViews(pools, statuses).map((view) => [view.pool, live ? view.waiting : null]));
    poolHistory.push({ at: now, sizes });
    poolHistory = prune(poolHistory, now, MAX_SAMPLES);
    rooms = prune(rooms, now, MAX_SAMPLES);
  }

  return {
    async start(): Promise<void> {
      await poll();
      timer = setInterval(() => {
        polling = poll();
      }, pollMs);
    },
    snapshot(): StatsSnapshot {
      return summarize({ now: clock(), live, statuses, pools: poolViews(pools, statuses), poolHistory, rooms });
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await polling;
    },
  };
}

export type Stats = ReturnType<typeof createStats>;
