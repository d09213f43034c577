import { readFileSync } from 'node:fs';
import { connectAmqp } from '../../common/amqp.js';
import { openMigratedDb } from '../../common/db.js';
import { createLogger, type Logger } from '../../common/logger.js';
import { createRegistry } from '../../common/metrics.js';
import { connectRedis } from '../../common/redis.js';
import { poolsOf, type Config } from '../../common/config.js';
import { amqpNames, redisKeys } from '../../common/names.js';
import { topologyFor } from '../../common/topology.js';
import { stopInOrder } from '../../common/run-service.js';
import { createProposalStore } from '../../common/proposal-store.js';
import { createTicketStore } from '../../common/ticket-store.js';
import { createPartyStore } from '../../common/party-store.js';
import { createGateway } from './gateway.js';
import { createServerApi } from './server-api.js';
import { createRatingFigures } from './rating-figures.js';
import { createStats } from './stats.js';

/** Starts the producer with everything it needs; main.ts and the tests both call this. */
export async function startGatewayService(config: Config, logger?: Logger, options: { pingIntervalMs?: number; partyIdleSeconds?: number } = {}) {
  logger ??= createLogger('producer', config.LOG_LEVEL, { gatewayId: config.GATEWAY_ID });
  // As the recorder: a database that is missing is created and migrated, so the gateway never
  // serves sign-ins on tables that are not there (a role that owns nothing needs a current schema).
  const { db } = await openMigratedDb(config.DATABASE_URL);
  const amqp = await connectAmqp(config.AMQP_URL, logger);
  // A player waits for the gateway's answer: with Redis away, requests are refused at once (the
  // gateway checks the connection first) and those in flight fail after one reconnect attempt,
  // not after ioredis's retries. No command timeout: a command that timed out may still have run,
  // and "first caller wins" steps (claimDelivery) must not think they lost when they won.
  const redis = await connectRedis(config.REDIS_URL, logger, { maxRetriesPerRequest: 1 });
  // Outcomes are claimed and marked told on a connection of their own: Redis answers a
  // connection's commands in order, so on one connection a join arriving as a tick's rooms are
  // told (a claim and a mark per player) would wait for all of theirs first.
  const tellsRedis = await connectRedis(config.REDIS_URL, logger, { maxRetriesPerRequest: 1 });
  // AMQP names, Redis keys and the topology, built once for every component of this process.
  const names = amqpNames(config.MATCHQ_NAMESPACE);
  const keys = redisKeys(config.MATCHQ_NAMESPACE);
  const topology = topologyFor(config, names);
  const demoFile = config.DEMO_PLAYERS_FILE;
  // Only `npm start` sets this: a local demo may hand out tokens, a deployment never does.
  const routes: Record<string, () => unknown> = demoFile ? { '/demo-players': () => JSON.parse(readFileSync(demoFile, 'utf8')) as unknown } : {};
  // The dashboard's figures, all from the matchers' heartbeats in Redis.
  const modes = Object.values(config.match.modes);
  const stats = createStats({
    pools: poolsOf(config.match),
    keys,
    redis,
    logger,
    features: { parties: modes.some((mode) => mode.party), readyCheck: modes.some((mode) => mode.accept), allocation: config.ALLOCATOR !== 'none' },
  });
  // ... and ratings moving, from the results in PostgreSQL; the lobby reads its player's change after a game.
  const ratingFigures = createRatingFigures({ db, logger });
  routes['/stats'] = () => ({ ...stats.snapshot(), ratings: ratingFigures.snapshot() });
  routes['/stats/ratings'] = () => ratingFigures.snapshot() ?? { recent: [] };
  const registry = createRegistry('producer', config.GATEWAY_ID);
  // Game servers' API on the same port; it keeps this gateway's signed-in players' ratings current.
  const serverApi = createServerApi({
    match: config.match,
    allocation: config.ALLOCATOR !== 'none',
    names,
    keys,
    topology,
    db,
    amqp,
    redis,
    logger,
    registry,
    sessions: () => gateway.sessions,
  });
  const gateway = createGateway({
    gatewayId: config.GATEWAY_ID,
    port: config.PORT,
    match: config.match,
    partyMaxSize: config.PARTY_MAX_SIZE,
    maxJoinsInFlight: config.MAX_JOINS_IN_FLIGHT,
    // With an allocator each player's `matched` carries a join token for the room's game server.
    joinTokens:
      config.ALLOCATOR !== 'none' && config.JOIN_TOKEN_SECRET ? { secret: config.JOIN_TOKEN_SECRET, ttlSeconds: config.JOIN_TOKEN_TTL_SECONDS } : null,
    names,
    topology,
    amqp,
    db,
    logger,
    routes,
    pingIntervalMs: options.pingIntervalMs,
    registry,
    store: createTicketStore(redis, keys, { tells: tellsRedis }),
    handlers: [serverApi.handle],
    proposals: createProposalStore(redis, keys, { acceptWaitMs: config.ACCEPT_WAIT_MS }),
    parties: createPartyStore(redis, keys, options.partyIdleSeconds),
  });
  await stats.start();
  await ratingFigures.start();
  await serverApi.start();
  const port = await gateway.start();
  return {
    gateway,
    port,
    stop: () =>
      stopInOrder(
        [
          () => gateway.stop(),
          () => serverApi.stop(),
          () => stats.stop(),
          () => ratingFigures.stop(),
          () => amqp.close(),
          () => redis.quit(),
          () => tellsRedis.quit(),
          () => db.destroy(),
        ],
        logger,
      ),
  };
}
