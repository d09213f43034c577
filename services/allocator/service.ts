import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connectAmqp } from '../../common/amqp.js';
import { createAllocationStore } from '../../common/allocation-store.js';
import { ConfigError, DEFAULT_METRICS_PORTS, type Config } from '../../common/config.js';
import { createLogger, type Logger } from '../../common/logger.js';
import { createRegistry } from '../../common/metrics.js';
import { closeServer, startOpsServer } from '../../common/ops-http.js';
import { connectRedis } from '../../common/redis.js';
import { stopInOrder } from '../../common/run-service.js';
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
  const registry = createRegistry('allocator', holder);
  const allocator = createAllocator({ config, amqp, store: createAllocationStore(redis, config.MATCHQ_NAMESPACE), backend, logger, registry, holder });
  await allocator.start();
  const server = await startOpsServer(config.METRICS_PORT ?? { fallback: DEFAULT_METRICS_PORTS.allocator }, registry, () => ({
    rabbitmq: allocator.ready,
    redis: redis.status === 'ready',
  }));
  return {
    allocator,
    port: (server.address() as AddressInfo).port,
    stop: () => stopInOrder([() => closeServer(server), () => allocator.stop(), () => backend.close(), () => amqp.close(), () => redis.quit()]),
  };
}
