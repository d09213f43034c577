import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connectAmqp } from '../../common/amqp.js';
import { createAllocationStore } from '../../common/allocation-store.js';
import { ConfigError, type Config } from '../../common/config.js';
import { createLogger, type Logger } from '../../common/logger.js';
import { createRegistry } from '../../common/metrics.js';
import { amqpNames, redisKeys } from '../../common/names.js';
import { closeServer, startOpsServer } from '../../common/ops-http.js';
import { connectRedis } from '../../common/redis.js';
import { stopInOrder } from '../../common/run-service.js';
import { topologyFor } from '../../common/topology.js';
import { ALLOCATOR_BEAT_MS, createAllocatorPresence } from '../../common/allocator-figures.js';
import { createAllocator } from './allocator.js';
import { createBackend } from './backends.js';

/** Starts the allocator with everything it needs; main.ts and the tests both call this. */
export async function startAllocatorService(config: Config, logger?: Logger) {
  const holder = `alloc-${randomUUID().slice(0, 8)}`;
  logger ??= createLogger('allocator', config.LOG_LEVEL, { holder });
  // The certificate files are read here, before any connection: a wrong path is one line at start.
  const backend = createBackend(config);
  if (!backend) throw new ConfigError('invalid ALLOCATOR: none; the allocator needs ALLOCATOR=http or ALLOCATOR=agones');
  const amqp = await connectAmqp(config.AMQP_URL, logger);
  const redis = await connectRedis(config.REDIS_URL, logger);
  // AMQP names and Redis keys, built once for every component of this process.
  const names = amqpNames(config.MATCHQ_NAMESPACE);
  const keys = redisKeys(config.MATCHQ_NAMESPACE);
  const registry = createRegistry('allocator', holder);
  const allocator = createAllocator({
    budgetMs: config.ALLOCATOR_BUDGET_MS,
    timeoutMs: config.ALLOCATOR_TIMEOUT_MS,
    names,
    topology: topologyFor(config, names),
    amqp,
    store: createAllocationStore(redis, keys),
    backend,
    logger,
    registry,
    holder,
  });
  await allocator.start();
  // Its figures for every gateway's dashboard, in Redis every second.
  const presence = createAllocatorPresence(redis, keys, holder);
  const beat = () => presence.beat(allocator.figures).catch((error: Error) => logger.warn({ err: error.message }, 'writing the allocator status failed'));
  await beat();
  const beating = setInterval(() => void beat(), ALLOCATOR_BEAT_MS);
  const server = await startOpsServer({ service: 'allocator', port: config.METRICS_PORT, registry, logger }, () => ({
    rabbitmq: allocator.ready,
    redis: redis.status === 'ready',
  }));
  return {
    allocator,
    port: (server.address() as AddressInfo).port,
    stop: () =>
      stopInOrder(
        [
          () => closeServer(server),
          () => allocator.stop(),
          async () => {
            clearInterval(beating);
            await presence.leave();
          },
          () => backend.close(),
          () => amqp.close(),
          () => redis.quit(),
        ],
        logger,
      ),
  };
}
