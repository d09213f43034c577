import type { RedisClient } from './redis.js';
import { redisKeys } from './names.js';
import type { RoomFigures } from './room-figures.js';

/** A matcher that has not beaten for this long is gone: its pools move to the others. */
export const LEASE_MS = 3000;
export const HEARTBEAT_MS = 1000;

export interface PoolStatus {
  pool: string;
  waiting: number;
  lastTickMs: number | null;
}

export interface MatcherStatus {
  id: string;
  at: number;
  pools: PoolStatus[];
  /** Rooms this matcher formed since it started. */
  figures?: RoomFigures;
}

/**
 * Matchers announce themselves in Redis every second with the pools they own. The set
 * of live matchers decides pool ownership; the dashboard reads the statuses.
 */
export function createPresence(redis: RedisClient, namespace: string, matcherId: string) {
  const keys = redisKeys(namespace);
  return {
    async beat(pools: PoolStatus[], figures?: RoomFigures, now = Date.now()): Promise<void> {
      const status: MatcherStatus = { id: matcherId, at: now, pools, figures };
      await redis.multi()
        .zadd(keys.matchers, now, matcherId)
        .set(keys.matcherStatus(matcherId), JSON.stringify(status), 'PX', LEASE_MS)
        .zremrangebyscore(keys.matchers, '-inf', now - 10 * LEASE_MS)
        .exec();
    },
    async leave(): Promise<void> {
      await redis.multi().zrem(keys.matchers, matcherId).del(keys.matcherStatus(matcherId)).exec();
    },
  };
}

/** Ids of matchers whose lease has not lapsed, sorted. */
export async function liveMatchers(redis: RedisClient, namespace: string, now = Date.now()): Promise<string[]> {
  return (await redis.zrangebyscore(redisKeys(namespace).matchers, now - LEASE_MS, '+inf')).sort();
}

/** The latest status of every live matcher. */
export async function matcherStatuses(redis: RedisClient, namespace: string, now = Date.now()): Promise<MatcherStatus[]> {
  const ids = await liveMatchers(redis, namespace, now);
  if (ids.length === 0) return [];
  const keys = redisKeys(namespace);
  const values = await redis.mget(ids.map((id) => keys.matcherStatus(id)));
  return values.flatMap((value) => (value ? [JSON.parse(value) as MatcherStatus] : []));
}
