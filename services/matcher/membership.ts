import type { RedisKeys } from '../../common/names.js';
import type { RedisClient } from '../../common/redis.js';
import type { Logger } from '../../common/logger.js';
import { poolViews } from '../../common/pool-owners.js';
import { createPresence, HEARTBEAT_MS, liveMatchers, matcherStatuses } from '../../common/presence.js';
import type { Matcher } from './matcher.js';
import { poolsOwnedBy } from './ownership.js';

/**
 * Keeps this matcher in the set of live matchers and its share of the pools up to date:
 * every heartbeat it announces itself, reads who else is alive, and owns what rendezvous
 * hashing gives it. A matcher that stops beating loses its pools when its lease lapses.
 */
export function startMembership(redis: RedisClient, keys: RedisKeys, matcherId: string, matcher: Matcher, logger: Logger, clock: () => number = Date.now) {
  const presence = createPresence(redis, keys, matcherId);
  let stopped = false;

  async function beat(): Promise<void> {
    try {
      await presence.beat(matcher.pools(), matcher.figures, clock());
      const members = await liveMatchers(redis, keys, clock());
      if (!stopped) await matcher.own(poolsOwnedBy(matcherId, matcher.poolKeys, members));
    } catch (error) {
      // Without Redis we cannot know who else is alive: keep what we own until we can.
      logger.warn({ err: (error as Error).message }, 'heartbeat failed; keeping current pools');
    }
  }

  const timer = setInterval(beat, HEARTBEAT_MS);
  return {
    /** The first beat: until it answers, this matcher owns nothing. */
    first: beat(),
    /** Every pool with its owner, size and tick time, as the live matchers last reported. */
    async clusterView(): Promise<{ pool: string; owner: string | null; waiting: number | null; lastTickMs: number | null }[]> {
      const statuses = await matcherStatuses(
        redis,
        keys,
        (id, err) => logger.warn({ matcherId: id, err }, 'left out a heartbeat that does not parse'),
        clock(),
      );
      return poolViews(matcher.poolList, statuses).map(({ pool, owner, waiting, lastTickMs }) => ({ pool, owner, waiting, lastTickMs }));
    },
    /** Leaves the live set at once, so the others take over without waiting for the lease. */
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      await presence.leave();
    },
  };
}
