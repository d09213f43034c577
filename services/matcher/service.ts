import type { AddressInfo } from 'node:net';
import { connectAmqp } from '../../common/amqp.js';
import { DEFAULT_METRICS_PORTS, type Config } from '../../common/config.js';
import { createLogger, type Logger } from '../../common/logger.js';
import { createRegistry } from '../../common/metrics.js';
import { closeServer, sendJson, startOpsServer } from '../../common/ops-http.js';
import { createPresence, HEARTBEAT_MS } from '../../common/presence.js';
import { connectRedis } from '../../common/redis.js';
import { stopInOrder } from '../../common/run-service.js';
import { createTicketStore } from '../../common/ticket-store.js';
import { createMatcher } from './matcher.js';

/** Starts the matcher with everything it needs; main.ts and the tests both call this. */
export async function startMatcherService(config: Config, logger?: Logger) {
  logger ??= createLogger('matcher', config.LOG_LEVEL, { matcherId: config.MATCHER_ID });
  const amqp = await connectAmqp(config.AMQP_URL, logger);
  const redis = await connectRedis(config.REDIS_URL, logger);
  const registry = createRegistry('matcher', config.MATCHER_ID);
  const matcher = createMatcher({ config, amqp, store: createTicketStore(redis, config.MATCHQ_NAMESPACE), logger, registry });
  await matcher.start();
  const presence = createPresence(redis, config.MATCHQ_NAMESPACE, config.MATCHER_ID);
  const beat = () => presence.beat(matcher.pools()).catch((error: Error) => logger.warn({ err: error.message }, 'heartbeat failed'));
  const heartbeat = setInterval(beat, HEARTBEAT_MS);
  await beat();
  const server = await startOpsServer(config.METRICS_PORT ?? { fallback: DEFAULT_METRICS_PORTS.matcher }, registry,
    () => ({ rabbitmq: matcher.ready, redis: redis.status === 'ready' }),
    (req, res) => {
      if (req.url !== '/pools') return false;
      sendJson(res, 200, matcher.pools());
      return true;
    });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port }, 'ops endpoints listening');
  return {
    matcher,
    port,
    stop: () => stopInOrder([() => clearInterval(heartbeat), () => closeServer(server), () => matcher.stop(), () => presence.leave(), () => amqp.close(), () => redis.quit()]),
  };
}
