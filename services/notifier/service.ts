import type { AddressInfo } from 'node:net';
import { connectAmqp } from '../../common/amqp.js';
import { poolsOf, type Config } from '../../common/config.js';
import { createLogger, type Logger } from '../../common/logger.js';
import { createRegistry } from '../../common/metrics.js';
import { closeServer, startOpsServer } from '../../common/ops-http.js';
import { connectRedis } from '../../common/redis.js';
import { stopInOrder } from '../../common/run-service.js';
import { amqpNames, redisKeys } from '../../common/names.js';
import { createTicketStore } from '../../common/ticket-store.js';
import { topologyFor } from '../../common/topology.js';
import { createNotifier } from './notifier.js';

/** Starts the notifier with everything it needs; main.ts and the tests both call this. */
export async function startNotifierService(config: Config, logger?: Logger) {
  logger ??= createLogger('notifier', config.LOG_LEVEL);
  const amqp = await connectAmqp(config.AMQP_URL, logger);
  const redis = await connectRedis(config.REDIS_URL, logger);
  // AMQP names and Redis keys, built once for every component of this process.
  const names = amqpNames(config.MATCHQ_NAMESPACE);
  const keys = redisKeys(config.MATCHQ_NAMESPACE);
  const registry = createRegistry('notifier', 'notifier');
  const notifier = createNotifier({
    names,
    topology: topologyFor(config, names),
    pools: poolsOf(config.match),
    amqp,
    store: createTicketStore(redis, keys),
    logger,
    registry,
  });
  await notifier.start();
  const server = await startOpsServer({ service: 'notifier', port: config.METRICS_PORT, registry, logger }, () => ({
    rabbitmq: notifier.ready,
    redis: redis.status === 'ready',
  }));
  return {
    notifier,
    port: (server.address() as AddressInfo).port,
    stop: () => stopInOrder([() => closeServer(server), () => notifier.stop(), () => amqp.close(), () => redis.quit()], logger),
  };
}
