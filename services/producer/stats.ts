import type { RedisClient } from '../../common/redis.js';
import { TopologyChannel, type AmqpConnectionManager } from '../../common/amqp.js';
import { poolsOf, type Config } from '../../common/config.js';
import type { Logger } from '../../common/logger.js';
import { roomEvent } from '../../common/messages.js';
import { amqpNames } from '../../common/names.js';
import { matcherStatuses, type MatcherStatus } from '../../common/presence.js';
import { topologyFor } from '../../common/topology.js';
import { poolKey } from '../../core/rule.js';

/**
 * The dashboard's figures (`GET /stats`): pool sizes and owners from the matchers' heartbeats
 * in Redis, rooms from this gateway's own tap of the rooms exchange. Memory is bounded: the
 * last ten minutes, capped in count. Everything but `createStats` is pure and tested alone.
 */

export const STATS_WINDOW_MS = 10 * 60_000;
/** Hard caps, so a flood of rooms cannot grow the gateway without bound. */
export const MAX_ROOM_SAMPLES = 20_000;
export const MAX_POOL_SAMPLES = 1_200;
/** Wait-time bucket edges in seconds; the last bucket is open-ended. */
export const WAIT_EDGES_S = [0, 1, 2, 5, 10, 20, 30, 60, 120, 300];
/** Spread bucket edges in rating points; the last bucket is open-ended. */
export const SPREAD_EDGES = [0, 10, 25, 50, 100, 200, 400, 800];

export interface RoomSample {
  at: number;
  pool: string;
  spread: number;
  /** How long each player of the room waited, ms. */
  waits: number[];
}

export interface PoolSample {
  at: number;
  /** Waiting tickets per pool; null while no matcher owns the pool. */
  sizes: Record<string, number | null>;
}

export interface Histogram {
  edges: number[];
  counts: number[];
}

/** Counts of `values` per bucket [edges[i], edges[i+1]); the last bucket has no upper edge. */
export function histogram(values: Iterable<number>, edges: number[]): Histogram {
  const counts = edges.map(() => 0);
  for (const value of values) {
    let bucket = 0;
    while (bucket + 1 < edges.length && value >= edges[bucket + 1]!) bucket++;
    counts[bucket]! += 1;
  }
  return { edges, counts };
}

/**
 * Rooms per wall-clock minute over the last `minutes` minutes, oldest first; the last bucket
 * is the minute in progress (`partial`).
 */
export function roomsPerMinute(rooms: RoomSample[], now: number, minutes = STATS_WINDOW_MS / 60_000): { at: number; count: number }[] {
  const current = Math.floor(now / 60_000) * 60_000;
  const first = current - (minutes - 1) * 60_000;
  const buckets = Array.from({ length: minutes }, (_, index) => ({ at: first + index * 60_000, count: 0 }));
  for (const room of rooms) {
    const index = Math.floor((room.at - first) / 60_000);
    if (index >= 0 && index < minutes) buckets[index]!.count += 1;
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

/** A room event as a sample, or undefined when the message is not a valid room. */
export function roomSample(content: unknown, now: number): RoomSample | undefined {
  const parsed = roomEvent.safeParse(content);
  if (!parsed.success) return undefined;
  const room = parsed.data;
  const created = Date.parse(room.createdAt);
  return {
    at: Number.isFinite(created) ? Math.min(created, now) : now,
    pool: poolKey(room.mode, room.region),
    spread: room.spread,
    waits: room.players.map((player) => player.waitedMs),
  };
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

/** Who owns each configured pool and how many wait there, from the matchers' statuses. */
export function poolViews(pools: { mode: string; region: string }[], statuses: MatcherStatus[]): PoolView[] {
  const views = new Map<string, PoolView>(pools.map(({ mode, region }) => {
    const pool = poolKey(mode, region);
    return [pool, { pool, mode, region, waiting: null, held: null, owner: null, lastTickMs: null }];
  }));
  // During a hand-over two matchers may list a pool: the freshest heartbeat wins.
  const seen = new Map<string, number>();
  for (const status of statuses) {
    for (const entry of status.pools) {
      const view = views.get(entry.pool);
      if (!view || (seen.get(entry.pool) ?? -Infinity) > status.at) continue;
      seen.set(entry.pool, status.at);
      const extra = entry as { owner?: string; held?: number };
      Object.assign(view, { waiting: entry.waiting, held: extra.held ?? null, owner: extra.owner ?? status.id, lastTickMs: entry.lastTickMs });
    }
  }
  return [...views.values()];
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

/** Everything the dashboard draws, from the samples kept. */
export function summarize(input: { now: number; live: boolean; statuses: MatcherStatus[]; pools: PoolView[]; poolHistory: PoolSample[]; rooms: RoomSample[] }): StatsSnapshot {
  const { now, rooms } = input;
  const inWindow = rooms.filter((room) => room.at >= now - STATS_WINDOW_MS);
  return {
    v: 1,
    at: now,
    windowMs: STATS_WINDOW_MS,
    live: input.live,
    matchers: input.statuses.map((status) => ({ id: status.id, at: status.at, pools: status.pools.map((entry) => entry.pool).sort() }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    pools: input.pools,
    poolHistory: input.poolHistory.filter((sample) => sample.at >= now - STATS_WINDOW_MS),
    rooms: {
      total: inWindow.length,
      lastMinute: inWindow.filter((room) => room.at > now - 60_000).length,
      perMinute: roomsPerMinute(inWindow, now),
      recent: inWindow.slice(-8).reverse().map((room) => ({
        at: room.at, pool: room.pool, spread: room.spread, players: room.waits.length,
        meanWaitMs: Math.round(room.waits.reduce((sum, wait) => sum + wait, 0) / Math.max(1, room.waits.length)),
      })),
    },
    waitSeconds: histogram(inWindow.flatMap((room) => room.waits.map((wait) => wait / 1000)), WAIT_EDGES_S),
    spread: histogram(inWindow.map((room) => room.spread), SPREAD_EDGES),
  };
}

export interface StatsDeps {
  config: Config;
  amqp: AmqpConnectionManager;
  redis: RedisClient;
  logger: Logger;
  clock?: () => number;
  /** How often the matchers' heartbeats are read and pool sizes sampled. Defaults to 1 s. */
  pollMs?: number;
}

/**
 * The live shell: a private auto-delete queue on the rooms exchange (re-bound on every
 * reconnect, as an analyst's would be) and a poll of the heartbeats. `snapshot()` is
 * synchronous so it fits the gateway's plain JSON routes.
 */
export function createStats({ config, amqp, redis, logger, clock = Date.now, pollMs = 1000 }: StatsDeps) {
  const names = amqpNames(config.MATCHQ_NAMESPACE);
  const pools = poolsOf(config.match);
  let rooms: RoomSample[] = [];
  let poolHistory: PoolSample[] = [];
  let statuses: MatcherStatus[] = [];
  let live = false;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> = Promise.resolve();

  const channel = new TopologyChannel(amqp, 'stats', topologyFor(config), async (ch) => {
    const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false, arguments: { 'x-max-length': 10_000 } });
    await ch.bindQueue(queue, names.rooms, '');
    await ch.consume(queue, (message) => {
      if (!message) return;
      let body: unknown;
      try {
        body = JSON.parse(message.content.toString('utf8'));
      } catch {
        return logger.debug('stats: skipped a room message that is not JSON');
      }
      const sample = roomSample(body, clock());
      if (!sample) return;
      rooms.push(sample);
      // Pruning copies the array: do it once a quarter of the cap has piled up, not per room
      // (per room it was O(cap) a message once full: 2.7% of the gateway's samples under load).
      if (rooms.length >= MAX_ROOM_SAMPLES * 1.25) rooms = prune(rooms, clock(), MAX_ROOM_SAMPLES);
    }, { noAck: true });
  });

  async function poll(): Promise<void> {
    const now = clock();
    try {
      statuses = await matcherStatuses(redis, config.MATCHQ_NAMESPACE, now);
      live = true;
    } catch (error) {
      if (live) logger.warn({ err: (error as Error).message }, 'stats: reading matcher heartbeats failed');
      live = false;
    }
    const sizes = Object.fromEntries(poolViews(pools, statuses).map((view) => [view.pool, live ? view.waiting : null]));
    poolHistory.push({ at: now, sizes });
    poolHistory = prune(poolHistory, now, MAX_POOL_SAMPLES);
    rooms = prune(rooms, now, MAX_ROOM_SAMPLES);
  }

  return {
    async start(): Promise<void> {
      await channel.wrapper.waitForConnect();
      await poll();
      timer = setInterval(() => { polling = poll(); }, pollMs);
    },
    snapshot(): StatsSnapshot {
      return summarize({ now: clock(), live, statuses, pools: poolViews(pools, statuses), poolHistory, rooms });
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      await polling;
      await channel.close();
    },
  };
}

export type Stats = ReturnType<typeof createStats>;
