import { Cluster, Redis } from 'ioredis';
import { BackingServiceUnavailable, HOW_TO_START } from './backing.js';
import type { Logger } from './logger.js';

export { Cluster, Redis };

/** A single Redis or a Redis Cluster: every key matchq uses carries a hash tag, so both work. */
export type RedisClient = Redis | Cluster;

const retryStrategy = (attempt: number) => Math.min(attempt * 200, 2000);
/**
 * How often a Redis Cluster client reads the slot map again (CLUSTER SLOTS). ioredis updates it
 * on a MOVED only when every command of a pipeline got the same one, and auto-pipelining batches
 * commands of many slots: a client that sent nothing to a failed primary's slots during its
 * failover, then met the old node back as a replica, got a MOVED for each slot of a batch, forever
 * (the notifier, routing rooms after the kill). Read on a timer the map is at most this stale.
 */
const SLOTS_REFRESH_MS = 2000;

/**
 * matchq's scripts that take a varying number of keys (their first argument is the key count).
 * ioredis's auto-pipelining (v6) puts a command in the pipeline of the node that serves its first
 * argument: for these, the slot of a number such as "3", not of a key. On a Redis Cluster such a
 * pipeline then mixes nodes, and ioredis refuses it whole ("All keys in the pipeline should
 * belong to the same slots allocation group"): every command in it fails, a GET beside it too.
 * They go on their own; each already carries a turn's or a tick's batch (common/turn-batch.ts).
 */
const VARIABLE_KEY_SCRIPTS = [
  'claimRoom',
  'expireTickets',
  'claimDelivery',
  'markTold',
  'confirmTickets',
  'readRooms',
  'markNotified',
  'proposeRoom',
  'failAllocation',
];

export interface RedisOptions {
  /** Reconnect attempts a command waits through before it fails (ioredis maxRetriesPerRequest). Defaults to 3. */
  maxRetriesPerRequest?: number;
}

/**
 * Connects to Redis (REDIS_URL) or to a Redis Cluster (a comma-separated list of its nodes),
 * failing fast at start; afterwards ioredis reconnects by itself with a capped backoff and
 * queues commands meanwhile. Auto-pipelining batches the commands issued in one tick into
 * one write per node: one round trip where a hand-made pipeline would cross hash slots.
 */
export async function connectRedis(url: string, logger: Logger, options: RedisOptions = {}): Promise<RedisClient> {
  const nodes = url
    .split(',')
    .map((node) => node.trim())
    .filter(Boolean);
  const common = { lazyConnect: true, enableAutoPipelining: true } as const;
  const perRequest = { maxRetriesPerRequest: options.maxRetriesPerRequest ?? 3 };
  const redis: RedisClient =
    nodes.length > 1
      ? new Cluster(
          nodes.map((node) => ({ host: new URL(node).hostname, port: Number(new URL(node).port || 6379) })),
          {
            ...common,
            clusterRetryStrategy: retryStrategy,
            slotsRefreshInterval: SLOTS_REFRESH_MS,
            autoPipeliningIgnoredCommands: VARIABLE_KEY_SCRIPTS,
            // Credentials and TLS (rediss://) from the first node's URL: one ACL user for the whole cluster.
            redisOptions: {
              connectTimeout: 5000,
              ...perRequest,
              username: decodeURIComponent(new URL(nodes[0]!).username) || undefined,
              password: decodeURIComponent(new URL(nodes[0]!).password) || undefined,
              ...(nodes[0]!.startsWith('rediss://') ? { tls: {} } : {}),
            },
          },
        )
      : new Redis(url, { ...common, connectTimeout: 5000, ...perRequest, retryStrategy });
  // Until the first ready, an error is the start's: it fails in one line (BackingServiceUnavailable), with nothing logged before it.
  let reported = true;
  // ioredis rejects the connect with "Connection is closed."; the error before it says why (ECONNREFUSED, a refused password).
  let startFailure: Error | undefined;
  redis.on('error', (error: Error) => {
    startFailure ??= error;
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
    throw new BackingServiceUnavailable('Redis', url, HOW_TO_START.Redis, startFailure ?? error);
  }
  return redis;
}
