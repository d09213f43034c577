import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, poolsOf, type Config } from '../../common/config.js';
import { createDb, migrateLatest, type Knex } from '../../common/db.js';
import { createLogger } from '../../common/logger.js';
import { addPlayer } from '../../common/players.js';
import type { MatchConfig } from '../../core/types.js';
import { startAllocatorService } from '../../services/allocator/service.js';
import { startMatcherService } from '../../services/matcher/service.js';
import { startNotifierService } from '../../services/notifier/service.js';
import { startGatewayService } from '../../services/producer/service.js';
import { startRecorderService } from '../../services/recorder/service.js';
import { dropNamespace, newDatabase, newNamespace } from './namespace.js';
import { PlayerClient } from './player-client.js';

export interface StackOptions {
  match?: MatchConfig;
  tickMs?: number;
  gateways?: number;
  queueType?: 'classic' | 'quorum';
  /** Another Redis (a cluster's nodes, comma-separated) than the shared one. */
  redisUrl?: string;
  /** Gateway ping interval; a socket that misses a pong is dropped. */
  pingIntervalMs?: number;
  /** A party's idle hour, shortened (seconds). */
  partyIdleSeconds?: number;
  /** More environment for every service (an ALLOCATOR, say: then an allocator runs too). */
  env?: NodeJS.ProcessEnv;
  /** Services to leave out, for tests that drive one by hand. */
  without?: ('matcher' | 'notifier' | 'recorder')[];
  /** A namespace and database made beforehand (provisioned roles, say) instead of fresh ones. */
  namespace?: string;
  databaseUrl?: string;
  /** Each service's own variables on top of `env` (its own AMQP_URL, REDIS_URL, DATABASE_URL, as docker-compose sets them). */
  envFor?: (service: StackService) => NodeJS.ProcessEnv;
}

export type StackService = 'gateway' | 'matcher' | 'notifier' | 'recorder' | 'allocator';

/** Services in tests log nothing unless TEST_LOG_LEVEL asks. */
export const silent = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

/**
 * The whole pipeline in this process, wired exactly as in production, in its own
 * namespace (AMQP names, Redis keys) and its own database; `stop()` removes all of it.
 */
export async function startStack(options: StackOptions = {}) {
  const namespace = options.namespace ?? newNamespace();
  const databaseUrl = options.databaseUrl ?? (await newDatabase(namespace));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MATCHQ_NAMESPACE: namespace,
    DATABASE_URL: databaseUrl,
    PORT: '0',
    METRICS_PORT: '0',
    TICK_MS: String(options.tickMs ?? 200),
    QUEUE_TYPE: options.queueType ?? 'classic',
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...options.env,
  };
  if (options.match) {
    const file = join(tmpdir(), `${namespace}-match.json`);
    writeFileSync(
      file,
      JSON.stringify(options.match, (_key, value: unknown) => (value === Infinity ? undefined : value)),
    );
    env.MATCH_CONFIG = file;
  }
  const config = (overrides: NodeJS.ProcessEnv = {}): Config => loadConfig({ ...env, ...overrides });
  const base = config();
  const own = (service: StackService, overrides: NodeJS.ProcessEnv = {}): Config => config({ ...options.envFor?.(service), ...overrides });
  const db: Knex = createDb(databaseUrl, 2);
  await migrateLatest(db);

  const stoppers: (() => Promise<void>)[] = [];
  const gateways: Awaited<ReturnType<typeof startGatewayService>>[] = [];
  for (let index = 0; index < (options.gateways ?? 1); index++) {
    const gateway = await startGatewayService(own('gateway', { GATEWAY_ID: `${namespace}-gw${index}` }), silent, {
      pingIntervalMs: options.pingIntervalMs,
      partyIdleSeconds: options.partyIdleSeconds,
    });
    gateways.push(gateway);
    stoppers.push(gateway.stop);
  }
  const without = new Set(options.without ?? []);
  const matcher = without.has('matcher') ? undefined : await startMatcherService(own('matcher', { MATCHER_ID: `${namespace}-m0` }), silent);
  const notifier = without.has('notifier') ? undefined : await startNotifierService(own('notifier'), silent);
  const recorder = without.has('recorder') ? undefined : await startRecorderService(own('recorder'), silent);
  const allocator = base.ALLOCATOR === 'none' ? undefined : await startAllocatorService(own('allocator'), silent);
  for (const service of [matcher, notifier, recorder, allocator]) if (service) stoppers.push(service.stop);

  const clients: PlayerClient[] = [];
  return {
    namespace,
    config: base,
    configFor: config,
    db,
    gateways,
    matcher,
    notifier,
    recorder,
    allocator,
    /** A gateway's base URL, as a game client (the SDK) is given it. */
    gatewayUrl: (gateway = 0) => `ws://127.0.0.1:${gateways[gateway]!.port}`,
    wsUrl: (token: string, gateway = 0) => `ws://127.0.0.1:${gateways[gateway]!.port}/ws?token=${encodeURIComponent(token)}`,
    httpUrl: (path: string, gateway = 0) => `http://127.0.0.1:${gateways[gateway]!.port}${path}`,
    addPlayer: (name: string, rating = 1500) => addPlayer(db, name, rating),
    /** A signed-in player, after its hello. */
    async connect(token: string, gateway = 0): Promise<PlayerClient> {
      const client = await PlayerClient.connect(`ws://127.0.0.1:${gateways[gateway]!.port}/ws?token=${encodeURIComponent(token)}`);
      clients.push(client);
      await client.next('hello');
      return client;
    },
    async stop(): Promise<void> {
      clients.forEach((client) => client.close());
      // A service whose broker or Redis a test killed may fail its stop; the rest still stop, and the namespace is dropped.
      for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
      await db.destroy();
      await dropNamespace(namespace, poolsOf(base.match), databaseUrl);
    },
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;
