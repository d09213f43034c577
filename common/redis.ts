import { Redis } from 'ioredis';
import { BackingServiceUnavailable, HOW_TO_START } from './backing.js';
import type { Logger } from './logger.js';

export { Redis };

/**
 * Connects to Redis, failing fast at start; afterwards ioredis reconnects by itself with
 * a capped backoff and queues commands while it does.
 */
export async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 3,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let reported = false;
  redis.on('error', (error) => {
    if (!reported) logger.warn({ err: error.message }, 'Redis error; reconnecting');
    reported = true;
  });
  redis.on('ready', () => {
    reported = false;
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new BackingServiceUnavailable('Redis', url, HOW_TO_START.Redis, error);
  }
  return redis;
}
