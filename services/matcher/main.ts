import { connectAmqp } from '../../common/amqp.js';
import { DEFAULT_METRICS_PORTS } from '../../common/config.js';
import { createLogger } from '../../common/logger.js';
import { createRegistry } from '../../common/metrics.js';
import { closeServer, sendJson, startOpsServer } from '../../common/ops-http.js';
import { connectRedis } from '../../common/redis.js';
import { runService, stopInOrder } from '../../common/run-service.js';
import { createTicketStore } from '../../common/ticket-store.js';
import { createMatcher } from './matcher.js';

await runService('matcher', async (config) => {
  const logger = createLogger('matcher', config.LOG_LEVEL, { matcherId: config.MATCHER_ID });
  const amqp = await connectAmqp(config.AMQP_URL, logger);
  const redis = await connectRedis(config.REDIS_URL, logger);
  const registry = createRegistry('matcher', config.MATCHER_ID);
  const matcher = createMatcher({ config, amqp, store: createTicketStore(redis, config.MATCHQ_NAMESPACE), logger, registry });
  await matcher.start();
  const server = await startOpsServer(config.METRICS_PORT ?? { fallback: DEFAULT_METRICS_PORTS.matcher }, registry,
    () => ({ rabbitmq: matcher.ready, redis: redis.status === 'ready' }),
    (req, res) => {
      if (req.url !== '/pools') return false;
      sendJson(res, 200, matcher.pools());
      return true;
    });
  logger.info({ port: (server.address() as { port: number }).port }, 'ops endpoints listening');
  return {
    stop: () => stopInOrder([() => closeServer(server), () => matcher.stop(), () => amqp.close(), () => redis.quit()]),
  };
});
