import type { RedisKeys } from '../../common/names.js';
import type { RedisClient } from '../../common/redis.js';
import type { Logger } from '../../common/logger.js';
import { matcherStatuses, type MatcherStatus } from '../../common/presence.js';
import { ALLOCATION_EDGES_S, allocatorStatuses, type AllocatorFigures, type AllocatorStatus } from '../../common/allocator-figures.js';
import { emptyProposals, RECENT_ROOMS, SPREAD_EDGES, WAIT_EDGES_S, type ProposalCounts, type RecentRoom, type RoomFigures } from '../../common/room-figures.js';
import { poolViews } from '../../common/pool-owners.js';
import type { AllocationView, Histogram, PoolSample, PoolView, ReadyCheckView, StatsSnapshot } from './stats-snapshot.js';
import { createPoller } from '../../common/poller.js';

export type { Histogram, PoolSample, PoolView, StatsSnapshot };
export { poolViews };

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
  /** v1.1: rooms per party make-up, and the ready check's proposals and outcomes. */
  makeups: Record<string, number>;
  proposals: ProposalCounts;
}

/** Rooms allocated and failed between two reads of the allocators' statuses, all allocators together. */
export interface AllocationSample {
  at: number;
  allocated: number;
  failed: number;
  failures: Record<string, number>;
  retries: Record<string, number>;
  latencyCounts: number[];
}

/** `current − base`, key by key (a key the base lacks counts from 0). */
function countsDelta(current: Record<string, number>, base: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(current).map(([key, count]) => [key, count - (base[key] ?? 0)]));
}

function addCounts(into: Record<string, number>, counts: Record<string, number>): void {
  for (const [key, count] of Object.entries(counts)) into[key] = (into[key] ?? 0) + count;
}

const noRooms = (at: number): RoomsSample => ({
  at,
  rooms: 0,
  waitCounts: WAIT_EDGES_S.map(() => 0),
  spreadCounts: SPREAD_EDGES.map(() => 0),
  makeups: {},
  proposals: emptyProposals(),
});

/**
 * What a matcher formed between two reads of its figures. A matcher that restarted (new
 * `since`, or counts that went down) counts from zero again; one not seen before counts
 * nothing yet, so a gateway that starts late does not take a matcher's whole past for now.
 */
export function figuresDelta(previous: RoomFigures | undefined, current: RoomFigures, at: number): RoomsSample {
  const none = noRooms(at);
  if (!previous) return none;
  const restarted = previous.since !== current.since || current.rooms < previous.rooms;
  const base = restarted ? { ...none, recent: [], since: current.since } : previous;
  const proposals = current.proposals ?? emptyProposals();
  const baseProposals = base.proposals ?? emptyProposals();
  return {
    at,
    rooms: current.rooms - base.rooms,
    waitCounts: current.waitCounts.map((count, index) => count - (base.waitCounts[index] ?? 0)),
    spreadCounts: current.spreadCounts.map((count, index) => count - (base.spreadCounts[index] ?? 0)),
    makeups: countsDelta(current.makeups ?? {}, base.makeups ?? {}),
    proposals: {
      proposed: proposals.proposed - baseProposals.proposed,
      accepted: proposals.accepted - baseProposals.accepted,
      declined: proposals.declined - baseProposals.declined,
      timedOut: proposals.timedOut - baseProposals.timedOut,
      other: proposals.other - baseProposals.other,
    },
  };
}

/** Adds samples up, bucket by bucket. */
export function sumSamples(samples: RoomsSample[], at: number): RoomsSample {
  const total = noRooms(at);
  for (const sample of samples) {
    total.rooms += sample.rooms;
    sample.waitCounts.forEach((count, index) => {
      total.waitCounts[index]! += count;
    });
    sample.spreadCounts.forEach((count, index) => {
      total.spreadCounts[index]! += count;
    });
    addCounts(total.makeups, sample.makeups);
    for (const key of Object.keys(total.proposals) as (keyof ProposalCounts)[]) total.proposals[key] += sample.proposals[key];
  }
  return total;
}

const noAllocations = (at: number): AllocationSample => ({
  at,
  allocated: 0,
  failed: 0,
  failures: {},
  retries: {},
  latencyCounts: ALLOCATION_EDGES_S.map(() => 0),
});

/** What an allocator did between two reads of its status; as for matchers, a restart counts from zero and a newcomer counts nothing yet. */
export function allocationDelta(previous: AllocatorFigures | undefined, current: AllocatorFigures, at: number): AllocationSample {
  if (!previous) return noAllocations(at);
  const restarted = previous.since !== current.since || current.allocated + current.failed < previous.allocated + previous.failed;
  const base = restarted ? { ...noAllocations(at), since: current.since } : previous;
  return {
    at,
    allocated: current.allocated - base.allocated,
    failed: current.failed - base.failed,
    failures: countsDelta(current.failures, base.failures),
    retries: countsDelta(current.retries, base.retries),
    latencyCounts: current.latencyCounts.map((count, index) => count - (base.latencyCounts[index] ?? 0)),
  };
}

export function sumAllocations(samples: AllocationSample[], at: number): AllocationSample {
  const total = noAllocations(at);
  for (const sample of samples) {
    total.allocated += sample.allocated;
    total.failed += sample.failed;
    addCounts(total.failures, sample.failures);
    addCounts(total.retries, sample.retries);
    sample.latencyCounts.forEach((count, index) => {
      total.latencyCounts[index]! += count;
    });
  }
  return total;
}

/** Per wall-clock minute over the last `minutes`, oldest first (the last one in progress): `count(sample)` of the samples in each. */
export function perMinute<T extends { at: number }, C>(
  samples: T[],
  now: number,
  zero: () => C,
  add: (bucket: C, sample: T) => void,
  minutes = STATS_WINDOW_MS / 60_000,
) {
  const current = Math.floor(now / 60_000) * 60_000;
  const first = current - (minutes - 1) * 60_000;
  const buckets = Array.from({ length: minutes }, (_, index) => ({ at: first + index * 60_000, ...zero() }));
  for (const sample of samples) {
    const index = Math.floor((sample.at - first) / 60_000);
    if (index >= 0 && index < minutes) add(buckets[index]!, sample);
  }
  return buckets;
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

/** Everything the dashboard draws, from the samples kept. */
export function summarize(input: {
  now: number;
  live: boolean;
  statuses: MatcherStatus[];
  pools: PoolView[];
  poolHistory: PoolSample[];
  rooms: RoomsSample[];
  /** v1.1: the allocators' samples and live statuses; `features`, what the config turns on. */
  allocations?: AllocationSample[];
  allocators?: AllocatorStatus[];
  features?: StatsSnapshot['features'];
}): StatsSnapshot {
  const { now } = input;
  const inWindow = input.rooms.filter((sample) => sample.at >= now - STATS_WINDOW_MS);
  const total = sumSamples(inWindow, now);
  const allocationsInWindow = (input.allocations ?? []).filter((sample) => sample.at >= now - STATS_WINDOW_MS);
  const allocated = sumAllocations(allocationsInWindow, now);
  const readyCheck: ReadyCheckView = {
    total: total.proposals,
    perMinute: perMinute(inWindow, now, emptyProposals, (bucket, sample) => {
      for (const key of Object.keys(sample.proposals) as (keyof ProposalCounts)[]) bucket[key] += sample.proposals[key];
    }),
  };
  const allocation: AllocationView = {
    allocators: (input.allocators ?? []).length,
    allocated: allocated.allocated,
    failed: allocated.failed,
    failures: allocated.failures,
    retries: allocated.retries,
    seconds: { edges: ALLOCATION_EDGES_S, counts: allocated.latencyCounts },
    perMinute: perMinute(
      allocationsInWindow,
      now,
      () => ({ allocated: 0, failed: 0, retries: 0 }),
      (bucket, sample) => {
        bucket.allocated += sample.allocated;
        bucket.failed += sample.failed;
        bucket.retries += Object.values(sample.retries).reduce((sum, count) => sum + count, 0);
      },
    ),
  };
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
    features: input.features ?? { parties: false, readyCheck: false, allocation: false },
    makeups: Object.fromEntries(Object.entries(total.makeups).filter(([, count]) => count > 0)),
    readyCheck,
    allocation,
  };
}

export interface StatsDeps {
  /** Every pool of the matching rule (common/config.ts poolsOf). */
  pools: { mode: string; region: string }[];
  /** The namespace's Redis keys, where the matchers' and allocators' heartbeats are read. */
  keys: RedisKeys;
  redis: RedisClient;
  logger: Logger;
  clock?: () => number;
  /** How often the matchers' heartbeats are read and pool sizes sampled. Defaults to 1 s. */
  pollMs?: number;
  /** v1.1: what the config turns on (some mode with `party` or `accept`; an ALLOCATOR): the dashboard shows those panels. */
  features?: StatsSnapshot['features'];
}

/**
 * The live shell: a poll of the matchers' heartbeats. `snapshot()` is synchronous so it fits
 * the gateway's plain JSON routes.
 */
export function createStats({
  pools,
  keys,
  redis,
  logger,
  clock = Date.now,
  pollMs = 1000,
  features = { parties: false, readyCheck: false, allocation: false },
}: StatsDeps) {
  let rooms: RoomsSample[] = [];
  let poolHistory: PoolSample[] = [];
  let statuses: MatcherStatus[] = [];
  const lastFigures = new Map<string, RoomFigures>();
  let allocations: AllocationSample[] = [];
  let allocators: AllocatorStatus[] = [];
  const lastAllocations = new Map<string, AllocatorFigures>();
  let live = false;

  async function poll(): Promise<void> {
    const now = clock();
    try {
      statuses = await matcherStatuses(
        redis,
        keys,
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
      try {
        allocators = await allocatorStatuses(
          redis,
          keys,
          (allocatorId, err) => logger.warn({ allocatorId, err }, 'stats: left out an allocator status that does not parse'),
          now,
        );
        allocations.push(
          sumAllocations(
            allocators.map((status) => {
              const delta = allocationDelta(lastAllocations.get(status.id), status.figures, now);
              lastAllocations.set(status.id, status.figures);
              return delta;
            }),
            now,
          ),
        );
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'stats: reading allocator statuses failed');
      }
    }
    // Players, not tickets: a party ticket counts its members (the same with no parties).
    const sizes = Object.fromEntries(poolViews(pools, statuses).map((view) => [view.pool, live ? (view.players ?? view.waiting) : null]));
    poolHistory.push({ at: now, sizes });
    poolHistory = prune(poolHistory, now, MAX_SAMPLES);
    rooms = prune(rooms, now, MAX_SAMPLES);
    allocations = prune(allocations, now, MAX_SAMPLES);
  }

  const poller = createPoller(poll, pollMs);
  return {
    start: () => poller.start(),
    snapshot(): StatsSnapshot {
      return summarize({ now: clock(), live, statuses, pools: poolViews(pools, statuses), poolHistory, rooms, allocations, allocators, features });
    },
    stop: () => poller.stop(),
  };
}

export type Stats = ReturnType<typeof createStats>;
