import { amqpNames } from '../names.js';

/**
 * Who may do what, as data: one entry per role, read off the topology (common/topology.ts), the
 * Redis commands each service sends (its stores and their Lua scripts) and the tables each
 * service queries. `npm run provision` applies it; test/integration/provision.test.ts proves each
 * role can do its job and nothing of the next one's.
 */
export const SERVICE_ROLES = ['gateway', 'matcher', 'notifier', 'recorder', 'allocator'] as const;
export const ROLES = ['owner', ...SERVICE_ROLES, 'analyst'] as const;
export type Role = (typeof ROLES)[number];

/** The prefix of every role name: `matchq_` by default; a test passes its own, since PostgreSQL roles are cluster-wide. */
export const DEFAULT_ROLE_PREFIX = 'matchq_';
export const ROLE_PREFIX_PATTERN = /^[a-z][a-z0-9_]{0,20}$/;

export const roleName = (prefix: string, role: Role) => `${prefix}${role}`;

/** The first word of queues an analyst may own outside the namespace (`analyst.dashboard`, …); names.analyst() are theirs too. */
export const ANALYST_QUEUE_PREFIX = 'analyst.';

export interface RabbitPermissions {
  configure: string;
  write: string;
  read: string;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** One anchored regex matching exactly these names (already escaped) or patterns. */
const anyOf = (parts: string[]) => (parts.length === 0 ? '^$' : `^(?:${[...new Set(parts)].join('|')})$`);

/**
 * RabbitMQ's configure / write / read regexes of each role in one vhost.
 *
 * Every service asserts the whole topology on each (re)connect, so whichever starts first creates
 * it and a room published before the recorder ever ran still reaches `matchq.history`: that needs
 * configure on every topology name, write on every queue a binding targets and read on every
 * exchange a binding starts from (queue.bind checks write on the queue, read on the exchange).
 * What differs per role is what it publishes to (write on an exchange) and consumes (read on a
 * queue). Retries and dead letters go through the default exchange (`amq.default`), which RabbitMQ
 * checks as one exchange whatever the queue: that is why the notifier and the recorder accept
 * only rooms a matcher claimed in Redis. No exchange is a topic exchange, so topic permissions
 * (checked on topic exchanges only) have nothing to restrict and none are set.
 */
export function rabbitPermissions(namespace: string): Record<Exclude<Role, 'owner'>, RabbitPermissions> {
  const names = amqpNames(namespace);
  const name = (value: string) => escape(value);
  const pools = `${escape(namespace)}\\.pool\\..+`;
  const gatewayQueues = `${escape(namespace)}\\.gateway\\..+`;
  const exchanges = [names.requests, names.rooms, names.deliveries, names.results].map(name);
  const queues = [pools, name(names.notifier), name(names.history), name(names.dead), name(names.allocation)];
  const boundQueues = [pools, name(names.notifier), name(names.history)];
  const boundFrom = [name(names.requests), name(names.rooms)];
  const defaultExchange = 'amq\\.default';
  const service = (publishes: string[], consumes: string[], own: string[] = []): RabbitPermissions => ({
    configure: anyOf([...exchanges, ...queues, ...own]),
    write: anyOf([...boundQueues, ...own, ...publishes]),
    read: anyOf([...boundFrom, ...own, ...consumes]),
  });
  // Queues of their own: `analyst.*`, or under the namespace (`NS.analyst.*`, as npm run tap names its own).
  const analyst = `(?:${escape(ANALYST_QUEUE_PREFIX)}|${escape(names.analyst(''))}).+`;
  return {
    // Requests into the pools, deliveries to other gateways (kicks, ready checks), results; its own delivery queue, bound to deliveries.
    gateway: service([name(names.requests), name(names.deliveries), name(names.results), defaultExchange], [name(names.deliveries)], [gatewayQueues]),
    // Pool queues in; rooms out, proposals and time-outs to the notifier and final rooms to allocation by queue name.
    matcher: service([name(names.rooms), defaultExchange], [pools]),
    notifier: service([name(names.deliveries), defaultExchange], [name(names.notifier)]),
    recorder: service([defaultExchange], [name(names.history)]),
    // Allocated rooms out, released tickets back into their pools, dissolved rooms to the notifier.
    allocator: service([name(names.rooms), name(names.requests), defaultExchange], [name(names.allocation)]),
    // Its own queues only, bound to the two fanouts it may read; it writes to no exchange, so it cannot publish.
    analyst: { configure: anyOf([analyst]), write: anyOf([analyst]), read: anyOf([analyst, name(names.rooms), name(names.results)]) },
  };
}

/** Commands a client needs to connect and to pass ioredis's ready check (INFO). */
const CONNECTION = ['ping', 'info', 'quit', 'echo'];
const READ = ['get', 'mget', 'exists', 'pttl', 'ttl', 'hget', 'hmget', 'hgetall', 'hexists', 'smembers', 'zrangebyscore'];
/** Everything matchq's stores send, their Lua scripts' calls included (ACLs apply inside scripts too). */
const WRITE = [
  ...READ,
  'set',
  'del',
  'expire',
  'hset',
  'hsetnx',
  'hdel',
  'hincrby',
  'sadd',
  'srem',
  'zadd',
  'zrem',
  'zremrangebyscore',
  'multi',
  'exec',
  'discard',
  'eval',
  'evalsha',
];

export interface RedisAcl {
  commands: string[];
  /** Pub/sub channels under the namespace (the gateways' ratings channel). */
  channels: boolean;
}

/** Redis ACL of each role that uses Redis: keys and channels under `NAMESPACE:` only, and only these commands. */
export function redisAcls(): Partial<Record<Role, RedisAcl>> {
  return {
    // WAIT: the ready check on a Redis with replicas (ACCEPT_WAIT_MS): the gateway's accept, the matcher's decided rooms.
    gateway: { commands: [...CONNECTION, ...WRITE, 'publish', 'subscribe', 'unsubscribe', 'wait'], channels: true },
    matcher: { commands: [...CONNECTION, ...WRITE, 'wait'], channels: false },
    notifier: { commands: [...CONNECTION, ...WRITE], channels: false },
    // Only the reads that tell a claimed room from a forged one: its tickets, and the pool's epoch (did Redis lose its data?).
    recorder: { commands: [...CONNECTION, 'hmget', 'get'], channels: false },
    allocator: { commands: [...CONNECTION, ...WRITE], channels: false },
  };
}

/** The ACL rule list of a role, as ACL SETUSER takes it after the user name and password. */
export function redisAclRules(namespace: string, acl: RedisAcl): string[] {
  return [
    'resetkeys',
    `~${namespace}:*`,
    'resetchannels',
    ...(acl.channels ? [`&${namespace}:*`] : []),
    '-@all',
    ...acl.commands.map((command) => `+${command}`),
  ];
}

export type TablePrivilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';

/**
 * PostgreSQL grants per service role, table by table. The owner role runs the migrations and owns
 * every table; the services own nothing and get only what their queries do. knex's migration
 * tables are readable, so a service can tell that the schema is current without migrating.
 */
export function postgresGrants(): Partial<Record<Role, Record<string, TablePrivilege[]>>> {
  const migrations = { knex_migrations: ['SELECT'], knex_migrations_lock: ['SELECT'] } satisfies Record<string, TablePrivilege[]>;
  return {
    // Sign-in (players, ratings), the server API (server_keys, rooms, results), results moving ratings, the lobby's rating figures (rating_history).
    gateway: {
      ...migrations,
      players: ['SELECT'],
      ratings: ['SELECT', 'INSERT', 'UPDATE'],
      rating_history: ['SELECT', 'INSERT'],
      rooms: ['SELECT'],
      results: ['SELECT', 'INSERT', 'UPDATE'],
      server_keys: ['SELECT'],
    },
    // The history, written once: INSERT, and SELECT on rooms since ON CONFLICT (id) reads the key it arbitrates on.
    recorder: { ...migrations, rooms: ['SELECT', 'INSERT'], room_players: ['INSERT'] },
  };
}
