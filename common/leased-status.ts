import type { RedisClient } from './redis.js';

/** Where a kind of process announces itself: the sorted set of ids by last beat, and each one's status key. */
export interface LeasedStatusKeys {
  members: string;
  status: (id: string) => string;
}

/**
 * A process's status in Redis under a lease: each beat writes it (expiring after `leaseMs`) and
 * the beat's time in the set of members, and drops members silent for ten leases, so the set
 * never grows with processes long gone. Matchers (pool ownership, the dashboard) and allocators
 * (the dashboard) announce themselves this way. The set and the status keys share a hash tag.
 */
export function createLeasedStatus(redis: RedisClient, keys: LeasedStatusKeys, id: string, leaseMs: number) {
  return {
    async beat(status: unknown, now: number): Promise<void> {
      await redis
        .multi()
        .zadd(keys.members, now, id)
        .set(keys.status(id), JSON.stringify(status), 'PX', leaseMs)
        .zremrangebyscore(keys.members, '-inf', now - 10 * leaseMs)
        .exec();
    },
    async leave(): Promise<void> {
      await redis.multi().zrem(keys.members, id).del(keys.status(id)).exec();
    },
  };
}
