import type { AddressInfo } from 'node:net';
import { connectAmqp } from '../../common/amqp.js';
import type { Config } from '../../common/config.js';
import { createLogger, type Logger } from '../../common/logger.js';
import { createRegistry } from '../../common/metrics.js';
import { closeServer, sendJson, startOpsServer } from '../../common/ops-http.js';
import { connectRedis } from '../../common/redis.js';
import { stopInOrder } from '../../common/run-service.js';
import { createProposalStore } from '../../common/proposal-store.js';
import { amqpNames, redisKeys } from '../../common/names.js';
import { createTicketStore } from '../../common/ticket-store.js';
import { topologyFor } from '../../common/topology.js';
import { createMatcher } from './matcher.js';
import { startMembership } from './membership.js';

/** Starts the matcher with everything it needs; main.ts and the tests both call this. */
export async function startMatcherService(config: Config, logger?: Logger) {
  logger ??= createLogger('matcher', config.LOG_LEVEL, { matcherId: config.MATCHER_ID });
  const amqp = await connectAmqp(config.AMQP_URL, logger);
  const redis = await connectRedis(config.REDIS_URL, logger);
  // AMQP names and Redis keys, built once for every component of this process.
  const names = amqpNames(config.MATCHQ_NAMESPACE);
  const keys = redisKeys(config.MATCHQ_NAMESPACE);
  const registry = createRegistry('matcher', config.MATCHER_ID);
  const matcher = createMatcher({
    match: config.match,
    matcherId: config.MATCHER_ID,
    tickMs: config.TICK_MS,
    allocation: config.ALLOCATOR !== 'none',
    names,
    topology: topologyFor(config, names),
    amqp,
    store: createTicketStore(redis, keys),
    proposals: createProposalStore(redis, keys, { acceptWaitMs: config.ACCEPT_WAIT_MS }),
    logger,
    registry,
  });
  await matcher.start();
  const membership = startMembership(redis, keys, config.MATCHER_ID, matcher, logger);
  await membership.first;
  const server = await startOpsServer(
    { service: 'matcher', port: config.METRICS_PORT, registry, logger },
    () => ({ rabbitmq: matcher.ready, redis: redis.status === 'ready' }),
    (req, res) => {
      if (req.url !== '/pools') return false;
      membership.clusterView().then(
        (view) => sendJson(res, 200, view),
        (error: Error) => sendJson(res, 503, { error: error.message }),
      );
      return true;
    },
  );
  const port = (server.address() as AddressInfo).port;
  return {
    matcher,
    port,
    membership,
    // Leave the live set first, so the other matchers take our pools as we hand them back.
    stop: () => stopInOrder([() => membership.stop(), () => closeServer(server), () => matcher.stop(), () => amqp.close(), () => redis.quit()], logger),
  };
}
