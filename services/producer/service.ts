import { readFileSync } from 'node:fs';
import { connectAmqp } from '../../common/amqp.js';
import { checkDb, createDb } from '../../common/db.js';
import { createLogger, type Logger } from '../../common/logger.js';
import { createRegistry } from '../../common/metrics.js';
import { connectRedis } from '../../common/redis.js';
import type { Config } from '../../common/config.js';
import { stopInOrder } from '../../common/run-service.js';
import { createProposalStore } from '../../common/proposal-store.js';
import { createTicketStore } from '../../common/ticket-store.js';
import { createPartyStore } from '../../common/party-store.js';
import { createGateway } from './gateway.js';
import { createServerApi } from './server-api.js';
import { createStats } from './stats.js';

/** Starts the producer with everything it needs; main.ts and the tests both call this. */
export async function startGatewayService(config: Config, logger?: Logger, options: { pingIntervalMs?: number; partyIdleSeconds?: number } = {}) {
  logger ??= createLogger('producer', config.LOG_LEVEL, { gatewayId: config.GATEWAY_ID });
  const db = createDb(config.DATABASE_URL);
  await checkDb(db, config.DATABASE_URL);
  const amqp = await connectAmqp(config.AMQP_URL, logger);
  // A player waits for the gateway's answer: with Redis away, requests are refused at once (the
  // gateway checks the connection first) and those in flight fail after one reconnect attempt,
  // not after ioredis's retries. No command timeout: a command that timed out may still have run,
  // and "first caller wins" steps (markDelivered) must not think they lost when they won.
  const redis = await connectRedis(config.REDIS_URL, logger, { maxRetriesPerRequest: 1 });
  const demoFile = config.DEMO_PLAYERS_FILE;
  // Only `npm start` sets this: a local demo may hand out tokens, a deployment never does.
  const routes: Record<string, () => unknown> = demoFile ? { '/demo-players': () => JSON.parse(readFileSync(demoFile, 'utf8')) as unknown } : {};
  // The dashboard's figures, all from the matchers' heartbeats in Redis.
  const stats = createStats({ config, redis, logger });
  routes['/stats'] = () => stats.snapshot();
  const registry = createRegistry('producer', config.GATEWAY_ID);
  // Game servers' API on the same port; it keeps this gateway's signed-in players' ratings current.
  const serverApi = createServerApi({ config, db, amqp, redis, logger, registry, sessions: () => gateway.sessions });
  const gateway = createGateway({
    config,
    amqp,
    db,
    logger,
    routes,
    pingIntervalMs: options.pingIntervalMs,
    registry,
    store: createTicketStore(redis, config.MATCHQ_NAMESPACE),
    handlers: [serverApi.handle],
    proposals: createProposalStore(redis, config.MATCHQ_NAMESPACE),
    parties: createPartyStore(redis, config.MATCHQ_NAMESPACE, options.partyIdleSeconds),
  });
  await stats.start();
  await serverApi.start();
  const port = await gateway.start();
  return {
    gateway,
    port,
    stop: () => stopInOrder([() => gateway.stop(), () => serverApi.stop(), () => stats.stop(), () => amqp.close(), () => redis.quit(), () => db.destroy()]),
  };
}
