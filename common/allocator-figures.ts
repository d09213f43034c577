import { z } from 'zod';
import { createLeasedStatus } from './leased-status.js';
import type { RedisKeys } from './names.js';
import type { RedisClient } from './redis.js';

/**
 * What an allocator has done since it started, as counts: rooms allocated and failed, failures
 * and retries by reason, and the allocation time of each room per bucket. The allocator counts
 * it beside its Prometheus metrics and writes it to Redis every second (a status with a lease,
 * as matchers do), so the dashboard of any gateway sees every allocator with no scrape of its own.
 */

/** Allocation-time bucket edges in seconds (the time from a room's first request to its server or its failure); the last bucket is open-ended. */
export const ALLOCATION_EDGES_S = [0, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];
export const ALLOCATOR_LEASE_MS = 3000;
export const ALLOCATOR_BEAT_MS = 1000;

export interface AllocatorFigures {
  /** When the counting started: a new value means the counts restarted. */
  since: number;
  allocated: number;
  failed: number;
  /** Failed rooms by reason (`rejected`, `bad_answer`, `tls`, `budget_spent`). */
  failures: Record<string, number>;
  /** Requests to the fleet tried again, by reason. */
  retries: Record<string, number>;
  /** Rooms per allocation-time bucket (ALLOCATION_EDGES_S), allocated or failed. */
  latencyCounts: number[];
}

export function emptyAllocatorFigures(since: number): AllocatorFigures {
  return { since, allocated: 0, failed: 0, failures: {}, retries: {}, latencyCounts: ALLOCATION_EDGES_S.map(() => 0) };
}

function bucketOf(value: number): number {
  let bucket = 0;
  while (bucket + 1 < ALLOCATION_EDGES_S.length && value >= ALLOCATION_EDGES_S[bucket + 1]!) bucket++;
  return bucket;
}

/** Counts one room's allocation in: its server (`reason` absent) or its failure. */
export function recordAllocation(figures: AllocatorFigures, seconds: number, reason?: string): void {
  figures.latencyCounts[bucketOf(seconds)]! += 1;
  if (reason === undefined) {
    figures.allocated++;
    return;
  }
  figures.failed++;
  figures.failures[reason] = (figures.failures[reason] ?? 0) + 1;
}

export function recordRetry(figures: AllocatorFigures, reason: string): void {
  figures.retries[reason] = (figures.retries[reason] ?? 0) + 1;
}

const counts = z.record(z.string(), z.number());
export const allocatorStatus = z.object({
  id: z.string(),
  at: z.number(),
  figures: z.object({ since: z.number(), allocated: z.number(), failed: z.number(), failures: counts, retries: counts, latencyCounts: z.array(z.number()) }),
});
export type AllocatorStatus = z.infer<typeof allocatorStatus>;

export function createAllocatorPresence(redis: RedisClient, keys: RedisKeys, allocatorId: string) {
  const lease = createLeasedStatus(redis, { members: keys.allocators, status: keys.allocatorStatus }, allocatorId, ALLOCATOR_LEASE_MS);
  return {
    beat: (figures: AllocatorFigures, now = Date.now()): Promise<void> => lease.beat({ id: allocatorId, at: now, figures } satisfies AllocatorStatus, now),
    leave: (): Promise<void> => lease.leave(),
  };
}

/** The latest status of every live allocator; one that does not parse is left out and handed to `onInvalid`. */
export async function allocatorStatuses(
  redis: RedisClient,
  keys: RedisKeys,
  onInvalid: (allocatorId: string, error: string) => void,
  now = Date.now(),
): Promise<AllocatorStatus[]> {
  const ids = (await redis.zrangebyscore(keys.allocators, now - ALLOCATOR_LEASE_MS, '+inf')).sort();
  if (ids.length === 0) return [];
  const values = await redis.mget(ids.map((id) => keys.allocatorStatus(id)));
  return values.flatMap((value, index) => {
    if (!value) return [];
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      onInvalid(ids[index]!, 'not JSON');
      return [];
    }
    const parsed = allocatorStatus.safeParse(json);
    if (parsed.success) return [parsed.data];
    onInvalid(ids[index]!, parsed.error.issues[0]?.message ?? 'invalid');
    return [];
  });
}
