import type { Knex } from 'knex';
import type { Logger } from '../../common/logger.js';
import type { RedisClient } from '../../common/redis.js';
import { ratingsOf } from './results-ledger.js';
import type { Session } from './session.js';

/** What a result changed, as sent to every gateway: `ratings` maps player id to the new rating. */
interface RatingChange {
  mode: string;
  ratings: Record<string, number>;
}

/**
 * Keeps the ratings of this gateway's signed-in players current, so a join costs no query:
 * each session read its ratings at sign-in, and every applied result reaches every gateway
 * over Redis pub/sub (published before the API answers, so a join after the answer sees it).
 * A subscriber that reconnects may have missed changes: it re-reads its players' ratings.
 */
export function createRatingUpdates({
  redis,
  db,
  channel,
  sessions,
  logger,
}: {
  redis: RedisClient;
  db: Knex;
  channel: string;
  sessions: () => Map<string, Session>;
  logger: Logger;
}) {
  // A subscribed connection can do nothing else: a second one, of the same kind (single or cluster).
  const subscriber: RedisClient = (redis as { duplicate(): RedisClient }).duplicate();
  let connectedOnce = false;

  function apply({ mode, ratings }: RatingChange): void {
    const live = sessions();
    for (const [playerId, rating] of Object.entries(ratings)) {
      const session = live.get(playerId);
      if (session) session.ratings[mode] = rating;
    }
  }

  async function reloadAll(): Promise<void> {
    const live = sessions();
    const current = await ratingsOf(db, [...live.keys()]);
    for (const [playerId, ratings] of current) Object.assign(live.get(playerId)?.ratings ?? {}, ratings);
  }

  subscriber.on('message', (_channel: string, text: string) => {
    try {
      apply(JSON.parse(text) as RatingChange);
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'dropped a rating change that is not JSON');
    }
  });
  subscriber.on('ready', () => {
    if (connectedOnce) reloadAll().catch((error: Error) => logger.warn({ err: error.message }, 'reloading ratings after a Redis reconnect failed'));
    connectedOnce = true;
  });
  subscriber.on('error', () => undefined); // the main client reports Redis trouble; this one just reconnects

  return {
    async start(): Promise<void> {
      await subscriber.subscribe(channel);
    },
    /** Tells every gateway (this one at once) the ratings a result set. */
    async announce(change: RatingChange): Promise<void> {
      apply(change);
      await redis.publish(channel, JSON.stringify(change));
    },
    async stop(): Promise<void> {
      // quit() rejects only when the connection already ended (Redis away at stop): nothing is left to close.
      await subscriber.quit().catch(() => undefined);
    },
  };
}

export type RatingUpdates = ReturnType<typeof createRatingUpdates>;
