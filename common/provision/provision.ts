import amqplib from 'amqplib';
import { Redis } from 'ioredis';
import knex from 'knex';
import { z } from 'zod';
import { BackingServiceUnavailable, HOW_TO_START } from '../backing.js';
import { ConfigError, poolsOf, type Config } from '../config.js';
import { amqpNames } from '../names.js';
import { assertTopology, buildTopology, type Topology } from '../topology.js';
import { provisionPostgres } from './postgres.js';
import { provisionRabbit, rabbitmqctl, type RabbitUsers } from './rabbitmq.js';
import { provisionRedis } from './redis.js';
import { DEFAULT_ROLE_PREFIX, postgresGrants, rabbitPermissions, redisAcls, ROLE_PREFIX_PATTERN, roleName, ROLES, type Role } from './roles.js';

/** The secret of each role, from `MATCHQ_<ROLE>_PASSWORD`; it goes into URLs, so URL-safe characters only. */
export const passwordVariable = (role: Role) => `MATCHQ_${role.toUpperCase()}_PASSWORD`;
const PASSWORD = z.string().regex(/^[A-Za-z0-9._~-]{16,128}$/, '16-128 URL-safe characters (letters, digits, . _ ~ -), such as `openssl rand -hex 24`');

/** What `npm run provision` reads besides the services' own variables; README "Security" lists them. */
export const provisionEnvSchema = z.object({
  PROVISION_PREFIX: z.string().regex(ROLE_PREFIX_PATTERN, 'lowercase letters, digits and _, starting with a letter').default(DEFAULT_ROLE_PREFIX),
  RABBITMQCTL: z.string().min(1).default('rabbitmqctl'),
  RABBITMQ_VHOST: z.string().min(1).default('/'),
  ...Object.fromEntries(ROLES.map((role) => [passwordVariable(role), PASSWORD])),
});

export interface ProvisionOptions {
  namespace: string;
  prefix: string;
  passwords: Record<Role, string>;
  rabbit: { users: RabbitUsers; vhost: string };
  /** An administrator's Redis URL (the default user, or one allowed ACL). */
  redisUrl: string;
  /** A superuser's PostgreSQL URL naming matchq's database. */
  databaseUrl: string;
  /**
   * With quorum queues: the topology to declare as an administrator (AMQP_URL), since a quorum
   * queue names its dead-letter target and RabbitMQ lets only a user who may read a queue create
   * it so (a service role may read only the queues it consumes).
   */
  quorum?: { amqpUrl: string; topology: Topology };
}

export function provisionOptions(
  config: Pick<Config, 'MATCHQ_NAMESPACE' | 'REDIS_URL' | 'DATABASE_URL' | 'AMQP_URL' | 'QUEUE_TYPE' | 'match'>,
  env: NodeJS.ProcessEnv,
): ProvisionOptions {
  const parsed = provisionEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid ${String(issue.path[0])}: ${issue.path[0] && env[String(issue.path[0])] === undefined ? 'required' : issue.message}`);
  }
  const values = parsed.data as Record<string, string>;
  if (config.REDIS_URL.includes(',')) throw new ConfigError('invalid REDIS_URL: provision one Redis Cluster node at a time (ACLs are per node)');
  return {
    namespace: config.MATCHQ_NAMESPACE,
    prefix: values.PROVISION_PREFIX!,
    passwords: Object.fromEntries(ROLES.map((role) => [role, values[passwordVariable(role)]!])) as Record<Role, string>,
    rabbit: { users: rabbitmqctl(values.RABBITMQCTL!.split(/\s+/).filter(Boolean)), vhost: values.RABBITMQ_VHOST! },
    redisUrl: config.REDIS_URL,
    databaseUrl: config.DATABASE_URL,
    // The allocation queue too, so that turning an allocator on later needs no new provisioning.
    ...(config.QUEUE_TYPE === 'quorum'
      ? {
          quorum: {
            amqpUrl: config.AMQP_URL[0]!,
            topology: buildTopology(amqpNames(config.MATCHQ_NAMESPACE), poolsOf(config.match), 'quorum', { allocation: true }),
          },
        }
      : {}),
  };
}

/** Every user, permission, ACL, role and grant of roles.ts, on all three backing services; safe to run again. */
export async function provision(options: ProvisionOptions, print: (line: string) => void): Promise<void> {
  const name = (role: Role) => roleName(options.prefix, role);
  await reachAll(options);
  const permissions = rabbitPermissions(options.namespace);
  const rabbitRoles = Object.keys(permissions) as (keyof typeof permissions)[];
  for (const line of await provisionRabbit(
    options.rabbit.users,
    options.rabbit.vhost,
    rabbitRoles.map((role) => ({ user: name(role), password: options.passwords[role], permissions: permissions[role] })),
  ))
    print(line);
  if (options.quorum) print(await declareTopology(options.quorum.amqpUrl, options.quorum.topology));

  const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const acls = redisAcls();
    const wanted = (Object.keys(acls) as Role[]).map((role) => ({ user: name(role), password: options.passwords[role], acl: acls[role]! }));
    for (const line of await provisionRedis(redis, options.namespace, wanted)) print(line);
  } finally {
    redis.disconnect();
  }

  const grants = postgresGrants();
  for (const line of await provisionPostgres({
    adminUrl: options.databaseUrl,
    owner: { role: name('owner'), password: options.passwords.owner },
    services: (Object.keys(grants) as Role[]).map((role) => ({ role: name(role), password: options.passwords[role], tables: grants[role]! })),
  }))
    print(line);
}

/** Asserts the whole topology over AMQP as an administrator (idempotent: what exists is only checked). */
async function declareTopology(url: string, topology: Topology): Promise<string> {
  const connection = await amqplib.connect(url);
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    await assertTopology(channel, topology);
    await channel.close();
  } finally {
    await connection.close().catch(() => undefined);
  }
  return `rabbitmq topology: ${topology.exchanges.length} exchanges, ${topology.queues.length} quorum queues and ${topology.bindings.length} bindings as wanted`;
}

/** All three answer before anything changes: one clear line for the first that does not, and nothing half-provisioned. */
async function reachAll(options: ProvisionOptions): Promise<void> {
  await options.rabbit.users.users().catch((error: unknown) => {
    throw new BackingServiceUnavailable('RabbitMQ', options.rabbit.users.target, HOW_TO_START.RabbitMQ, error);
  });
  if (options.quorum) {
    const url = options.quorum.amqpUrl;
    await amqplib.connect(url).then(
      (connection) => connection.close(),
      (error: unknown) => {
        throw new BackingServiceUnavailable('RabbitMQ', url, HOW_TO_START.RabbitMQ, error);
      },
    );
  }
  const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  // connect() below rejects with the same error, and that rejection is what is reported.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new BackingServiceUnavailable('Redis', options.redisUrl, HOW_TO_START.Redis, error);
  } finally {
    redis.disconnect();
  }
  const server = new URL(options.databaseUrl);
  server.pathname = '/postgres';
  const db = knex({ client: 'pg', connection: server.toString(), pool: { min: 0, max: 1 }, acquireConnectionTimeout: 10_000 });
  try {
    await db.raw('select 1');
  } catch (error) {
    throw new BackingServiceUnavailable('PostgreSQL', options.databaseUrl, HOW_TO_START.PostgreSQL, error);
  } finally {
    await db.destroy();
  }
}
