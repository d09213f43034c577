import { z } from 'zod';
import { createLeasedStatus } from './leased-status.js';
import type { RedisClient } from './redis.js';
import type { RedisKeys } from './names.js';
import type { RecentRoom, RoomFigures } from './room-figures.js';

/** A matcher that has not beaten for this long is gone: its pools move to the others. */
export const LEASE_MS = 3000;
export const HEARTBEAT_MS = 1000;

const recentRoom: z.ZodType<RecentRoom> = z.object({ at: z.number(), pool: z.string(), spread: z.number(), players: z.number(), meanWaitMs: z.number() });
const roomFigures: z.ZodType<RoomFigures> = z.object({
  since: z.number(),
  rooms: z.number(),
  waitCounts: z.array(z.number()),
  spreadCounts: z.array(z.number()),
  recent: z.array(recentRoom),
  makeups: z.record(z.string(), z.number()).optional(),
  proposals: z.object({ proposed: z.number(), accepted: z.number(), declined: z.number(), timedOut: z.number(), other: z.number() }).optional(),
});

export const poolStatus = z.object({
  pool: z.string(),
  waiting: z.number(),
  lastTickMs: z.number().nullable(),
  /** The matcher that reported it (the status's own id when absent). */
  owner: z.string().optional(),
  /** Requests of the pool the matcher holds unacked. */
  held: z.number().optional(),
  /** Players waiting (a party ticket counts its members); `waiting` counts tickets. */
  players: z.number().optional(),
});
export type PoolStatus = z.infer<typeof poolStatus>;

/** A matcher's heartbeat, as it lies in Redis: read back through this schema, never cast. */
export const matcherStatus = z.object({
  id: z.string(),
  at: z.number(),
  pools: z.array(poolStatus),
  /** Rooms this matcher formed since it started. */
  figures: roomFigures.optional(),
});
export type MatcherStatus = z.infer<typeof matcherStatus>;

/**
 * Matchers announce themselves in Redis every second with the pools they own. The set
 * of live matchers decides pool ownership; the dashboard reads the statuses.
 */
export function createPresence(redis: RedisClient, keys: RedisKeys, matcherId: string) {
  const lease = createLeasedStatus(redis, { members: keys.matchers, status: keys.matcherStatus }, matcherId, LEASE_MS);
  return {
    beat: (pools: PoolStatus[], figures?: RoomFigures, now = Date.now()): Promise<void> =>
      lease.beat({ id: matcherId, at: now, pools, figures } satisfies MatcherStatus, now),
    leave: (): Promise<void> => lease.leave(),
  };
}

/** Ids of matchers whose lease has not lapsed, sorted. */
export async function liveMatchers(redis: RedisClient, keys: RedisKeys, now = Date.now()): Promise<string[]> {
  return (await redis.zrangebyscore(keys.matchers, now - LEASE_MS, '+inf')).sort();
}

/** Parses one heartbeat, or says why it is not one. */
export function parseMatcherStatus(text: string): { status: MatcherStatus } | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Said to the caller, which logs it and leaves the heartbeat out.
    return { error: 'not JSON' };
  }
  const parsed = matcherStatus.safeParse(json);
  if (parsed.success) return { status: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { error: `${issue.path.join('.') || 'status'}: ${issue.message}` };
}

/** The latest status of every live matcher; one that does not parse is left out and handed to `onInvalid`. */
export async function matcherStatuses(
  redis: RedisClient,
  keys: RedisKeys,
  onInvalid: (matcherId: string, error: string) => void,
  now = Date.now(),
): Promise<MatcherStatus[]> {
  const ids = await liveMatchers(redis, keys, now);
  if (ids.length === 0) return [];
  const values = await redis.mget(ids.map((id) => keys.matcherStatus(id)));
  return values.flatMap((value, index) => {
    if (!value) return [];
    const parsed = parseMatcherStatus(value);
    if ('status' in parsed) return [parsed.status];
    onInvalid(ids[index]!, parsed.error);
    return [];
  });
}
