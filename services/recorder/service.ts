import type { AddressInfo } from 'node:net';
import { connectAmqp } from '../../common/amqp.js';
import type { Config } from '../../common/config.js';
import { openMigratedDb, watchDb } from '../../common/db.js';
import { createLogger, type Logger } from '../../common/logger.js';
import { createRegistry } from '../../common/metrics.js';
import { closeServer, startOpsServer } from '../../common/ops-http.js';
import { connectRedis } from '../../common/redis.js';
import { stopInOrder } from '../../common/run-service.js';
import { amqpNames, redisKeys } from '../../common/names.js';
import { createTicketStore } from '../../common/ticket-store.js';
import { topologyFor } from '../../common/topology.js';
import { createRecorder } from './recorder.js';

/** Starts the recorder with everything it needs; main.ts and the tests both call this. */
export async function startRecorderService(config: Config, logger?: Logger) {
  logger ??= createLogger('recorder', config.LOG_LEVEL);
  const { db } = await openMigratedDb(config.DATABASE_URL);
  const amqp = await connectAmqp(config.AMQP_URL, logger);
  const redis = await connectRedis(config.REDIS_URL, logger);
  // AMQP names and Redis keys, built once for every component of this process.
  const names = amqpNames(config.MATCHQ_NAMESPACE);
  const keys = redisKeys(config.MATCHQ_NAMESPACE);
  const store = createTicketStore(redis, keys);
  const registry = createRegistry('recorder', 'recorder');
  // Only the read that tells a claimed room from a forged one.
  const claims = { states: store.states, readEpoch: store.readEpoch };
  const recorder = createRecorder({ names, topology: topologyFor(config, names), amqp, db, logger, registry, claims });
  await recorder.start();
  const dbWatch = watchDb(db);
  const server = await startOpsServer({ service: 'recorder', port: config.METRICS_PORT, registry, logger }, () => ({
    rabbitmq: recorder.ready,
    redis: redis.status === 'ready',
    postgresql: dbWatch.health.up,
  }));
  return {
    recorder,
    port: (server.address() as AddressInfo).port,
    stop: () =>
      stopInOrder([() => dbWatch.stop(), () => closeServer(server), () => recorder.stop(), () => amqp.close(), () => redis.quit(), () => db.destroy()], logger),
  };
}
