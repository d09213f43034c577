import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import amqplib, { type ConfirmChannel } from 'amqplib';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { startPrivateRabbit, startPrivateRedis, type PrivateRabbit, type PrivateRedis } from '../../chaos/private-nodes.js';
import { createDb } from '../../common/db.js';
import { amqpNames, redisKeys } from '../../common/names.js';
import { dropDatabase } from '../../common/namespace-cleanup.js';
import { dropPostgresRoles } from '../../common/provision/postgres.js';
import { passwordVariable, provision } from '../../common/provision/provision.js';
import { rabbitmqctl } from '../../common/provision/rabbitmq.js';
import { ROLES, roleName, type Role } from '../../common/provision/roles.js';
import { assertTopology, buildTopology } from '../../common/topology.js';
import { DATABASE_SERVER, newNamespace } from '../support/namespace.js';
import { startStack, type Stack } from '../support/stack.js';

const run = promisify(execFile);

type Outcome = 'ok' | 'refused';

/**
 * Does `act` succeed for this user, or does the broker refuse it (ACCESS_REFUSED, 403)? A plain
 * amqplib connection per attempt: a refusal closes the channel, and a second, plain client is
 * how these tests look at the broker.
 */
async function attempt(url: string, act: (channel: ConfirmChannel) => Promise<unknown>): Promise<Outcome> {
  const connection = await amqplib.connect(url);
  // A refusal (403) also closes the connection with an error event: the outcome is read from the failed call below.
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createConfirmChannel();
    let code: number | undefined;
    const closed = new Promise<void>((resolve) => channel.once('close', () => resolve()));
    channel.on('error', (error: { code?: number }) => {
      code = error.code;
    });
    try {
      await act(channel);
      await channel.close();
      return 'ok';
    } catch (error) {
      await closed;
      if (code === 403 || (error as { code?: number }).code === 403) return 'refused';
      throw error;
    }
  } finally {
    // A refused connection (the 403 above) is closed by the broker already.
    await connection.close().catch(() => undefined);
  }
}

const publish =
  (exchange: string, routingKey = '') =>
  (channel: ConfirmChannel) =>
    new Promise<void>((resolve, reject) =>
      channel.publish(exchange, routingKey, Buffer.from('{}'), { persistent: true }, (error: unknown) => (error ? reject(error as Error) : resolve())),
    );
const consume = (queue: string) => (channel: ConfirmChannel) => channel.consume(queue, () => undefined);

/** The Redis error of a command, or 'ok'. */
const redisOutcome = (command: Promise<unknown>) =>
  command.then(
    () => 'ok',
    (error: Error) => error.message.split(' ')[0],
  );

describe('npm run provision: least privilege on private RabbitMQ and Redis nodes and in a database of its own', function () {
  this.timeout(600_000);
  let rabbit: PrivateRabbit;
  let redis: PrivateRedis;
  const namespace = newNamespace();
  // PostgreSQL roles are cluster-wide: this test's own prefix, dropped afterwards.
  const prefix = `${namespace}_`;
  const databaseUrl = `${DATABASE_SERVER}/matchq_${namespace}`;
  const passwords = Object.fromEntries(ROLES.map((role) => [role, randomBytes(18).toString('hex')])) as Record<Role, string>;
  const user = (role: Role) => roleName(prefix, role);
  const names = amqpNames(namespace);
  const keys = redisKeys(namespace);
  const amqpUrl = (role: Role) => rabbit.url.replace('guest:guest', `${user(role)}:${passwords[role]}`);
  const redisUrl = (role: Role) => `redis://${user(role)}:${passwords[role]}@127.0.0.1:${redis.port}`;
  const pgUrl = (role: Role) => databaseUrl.replace('//postgres@', `//${user(role)}:${passwords[role]}@`);
  const pool = names.pool('ffa3', 'global');
  const withAdminRedis = async <T>(use: (admin: Redis) => Promise<T>): Promise<T> => {
    const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await admin.connect();
      return await use(admin);
    } finally {
      admin.disconnect();
    }
  };
  let firstRun: string[] = [];

  const provisionCli = async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'cli/provision.ts'], {
      env: {
        ...rabbit.env,
        MATCHQ_NAMESPACE: namespace,
        PROVISION_PREFIX: prefix,
        RABBITMQCTL: rabbit.ctlCommand.join(' '),
        REDIS_URL: redis.url,
        DATABASE_URL: databaseUrl,
        ...Object.fromEntries(ROLES.map((role) => [passwordVariable(role), passwords[role]])),
      },
      timeout: 480_000,
    });
    return stdout.trim().split('\n');
  };

  before(async function () {
    [rabbit, redis] = await Promise.all([startPrivateRabbit(), startPrivateRedis()]);
    firstRun = await provisionCli();
  });

  after(async () => {
    await Promise.all([rabbit?.stop(), redis?.stop()]);
    await dropDatabase(databaseUrl);
    await dropPostgresRoles(databaseUrl, ROLES.map(user));
  });

  it('prints what it made, and a second run finds everything as wanted', async () => {
    for (const role of ['gateway', 'matcher', 'notifier', 'recorder', 'allocator', 'analyst'] as const) {
      expect(firstRun, role).to.include(`rabbitmq user ${user(role)}: created`);
    }
    expect(firstRun.filter((line) => /^redis user .*: created/.test(line))).to.have.length(5);
    expect(firstRun.some((line) => line.startsWith(`postgresql migrations applied as ${user('owner')}`))).to.be.true;
    const again = await provisionCli();
    expect(again.filter((line) => /^(rabbitmq|redis) /.test(line) && !/: unchanged/.test(line))).to.deep.equal([]);
    expect(again.filter((line) => /^postgresql .* on .*: [+-]/.test(line))).to.deep.equal([]);
    expect(again).to.include('postgresql migrations: up to date');
  });

  it('changes a password that differs, and the old one stops working', async () => {
    const users = rabbitmqctl(rabbit.ctlCommand, rabbit.env);
    await users.changePassword(user('notifier'), 'a-stale-password-0000');
    const lines: string[] = [];
    await provision(
      {
        namespace,
        prefix,
        passwords,
        rabbit: { users, vhost: '/' },
        redisUrl: redis.url,
        databaseUrl,
      },
      (line) => lines.push(line),
    );
    expect(lines).to.include(`rabbitmq user ${user('notifier')}: password changed`);
    expect(await users.authenticates(user('notifier'), passwords.notifier)).to.be.true;
    expect(await users.authenticates(user('notifier'), 'a-stale-password-0000')).to.be.false;
  });

  describe('RabbitMQ', () => {
    it('lets every service assert the whole topology, as each does on start', async () => {
      const topology = buildTopology(names, [{ mode: 'ffa3', region: 'global' }], 'classic', { allocation: true });
      for (const role of ['gateway', 'matcher', 'notifier', 'recorder', 'allocator'] as const) {
        expect(await attempt(amqpUrl(role), (channel) => assertTopology(channel, topology)), role).to.equal('ok');
      }
      expect(await attempt(amqpUrl('analyst'), (channel) => assertTopology(channel, topology)), 'analyst').to.equal('refused');
    });

    it('gives each role its job and not the next one', async () => {
      const cases: [Role, string, (channel: ConfirmChannel) => Promise<unknown>, Outcome][] = [
        ['gateway', 'publish a request', publish(names.requests, 'ffa3.global'), 'ok'],
        ['gateway', 'publish a delivery', publish(names.deliveries, 'gw-1'), 'ok'],
        ['gateway', 'publish a result', publish(names.results), 'ok'],
        [
          'gateway',
          'declare, bind and consume its own queue',
          async (channel) => {
            await channel.assertQueue(names.gateway('gw-1'), { exclusive: true, autoDelete: true, durable: false });
            await channel.bindQueue(names.gateway('gw-1'), names.deliveries, 'gw-1');
            await channel.consume(names.gateway('gw-1'), () => undefined);
          },
          'ok',
        ],
        ['gateway', 'publish a room', publish(names.rooms), 'refused'],
        ['gateway', 'consume a pool', consume(pool), 'refused'],
        ['matcher', 'consume a pool', consume(pool), 'ok'],
        ['matcher', 'publish a room', publish(names.rooms), 'ok'],
        ['matcher', 'send the notifier a proposal', publish('', names.notifier), 'ok'],
        ['matcher', 'publish a delivery', publish(names.deliveries, 'gw-1'), 'refused'],
        ['matcher', 'consume the history', consume(names.history), 'refused'],
        ['matcher', "declare a gateway's queue", (channel) => channel.assertQueue(names.gateway('gw-2'), { exclusive: true }), 'refused'],
        ['notifier', 'consume its queue', consume(names.notifier), 'ok'],
        ['notifier', 'publish a delivery', publish(names.deliveries, 'gw-1'), 'ok'],
        ['notifier', 'publish a room', publish(names.rooms), 'refused'],
        ['notifier', 'publish a request', publish(names.requests, 'ffa3.global'), 'refused'],
        ['recorder', 'consume the history', consume(names.history), 'ok'],
        ['recorder', 'consume the notifier queue', consume(names.notifier), 'refused'],
        ['recorder', 'publish a room', publish(names.rooms), 'refused'],
        ['recorder', 'publish a delivery', publish(names.deliveries, 'gw-1'), 'refused'],
        ['allocator', 'consume the allocation queue', consume(names.allocation), 'ok'],
        ['allocator', 'publish an allocated room', publish(names.rooms), 'ok'],
        ['allocator', 'put a released ticket back in its pool', publish(names.requests, 'ffa3.global'), 'ok'],
        ['allocator', 'publish a delivery', publish(names.deliveries, 'gw-1'), 'refused'],
        ['allocator', 'consume a pool', consume(pool), 'refused'],
        ['analyst', 'publish a room', publish(names.rooms), 'refused'],
        ['analyst', 'publish a result', publish(names.results), 'refused'],
        ['analyst', 'send to a queue by name', publish('', names.history), 'refused'],
        ['analyst', 'consume the history', consume(names.history), 'refused'],
        ['analyst', 'declare a queue outside analyst.*', (channel) => channel.assertQueue(`${namespace}.sneaky`), 'refused'],
        [
          'analyst',
          'bind its own queue to the requests',
          async (channel) => {
            await channel.assertQueue('analyst.requests', { exclusive: true });
            await channel.bindQueue('analyst.requests', names.requests, 'ffa3.global');
          },
          'refused',
        ],
      ];
      const outcomes = [];
      for (const [role, job, act] of cases) outcomes.push(`${role}: ${job}: ${await attempt(amqpUrl(role), act)}`);
      expect(outcomes).to.deep.equal(cases.map(([role, job, , outcome]) => `${role}: ${job}: ${outcome}`));
    });

    it('lets an analyst bind analyst.* and NS.analyst.* queues to rooms and results and read what the matcher publishes', async () => {
      const connection = await amqplib.connect(amqpUrl('analyst'));
      try {
        const channel = await connection.createChannel();
        await channel.assertQueue('analyst.rooms', { exclusive: true });
        await channel.bindQueue('analyst.rooms', names.rooms, '');
        // A queue of their own under the namespace too (npm run tap names its own so).
        await channel.assertQueue(names.analyst('results'), { exclusive: true });
        await channel.bindQueue(names.analyst('results'), names.results, '');
        expect(await attempt(amqpUrl('matcher'), publish(names.rooms))).to.equal('ok');
        const deadline = Date.now() + 30_000;
        let message: amqplib.GetMessage | false = false;
        while (!message && Date.now() < deadline) {
          message = await channel.get('analyst.rooms', { noAck: true });
          if (!message) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(message && message.content.toString()).to.equal('{}');
      } finally {
        await connection.close();
      }
    });
  });

  describe('Redis', () => {
    it("keeps every role to matchq's keys and to the commands it uses", async () => {
      const clients = Object.fromEntries(
        (['gateway', 'matcher', 'recorder'] as const).map((role) => [role, new Redis(redisUrl(role), { lazyConnect: true, maxRetriesPerRequest: 1 })]),
      ) as Record<'gateway' | 'matcher' | 'recorder', Redis>;
      try {
        for (const client of Object.values(clients)) await client.connect();
        const ticket = keys.ticket('ffa3', 'global', 't1');
        const outcomes = {
          gatewayWrites: await redisOutcome(clients.gateway.hset(ticket, 'state', 'queued')),
          gatewayPublishes: await redisOutcome(clients.gateway.publish(keys.ratingsChannel, '{}')),
          gatewayOtherKey: await redisOutcome(clients.gateway.set('elsewhere:key', '1')),
          gatewayFlushall: await redisOutcome(clients.gateway.flushall()),
          gatewayKeys: await redisOutcome(clients.gateway.keys('*')),
          gatewayConfig: await redisOutcome(clients.gateway.config('GET', 'dir')),
          matcherScript: await redisOutcome(clients.matcher.eval("return redis.call('HSET', KEYS[1], 'state', 'matched')", 1, ticket)),
          matcherScriptElsewhere: await redisOutcome(clients.matcher.eval("return redis.call('SET', KEYS[1], '1')", 1, 'elsewhere:key')),
          matcherPublishes: await redisOutcome(clients.matcher.publish(keys.ratingsChannel, '{}')),
          recorderReads: await redisOutcome(clients.recorder.hmget(ticket, 'state', 'room')),
          recorderReadsEpoch: await redisOutcome(clients.recorder.get(keys.poolEpoch('ffa3', 'global'))),
          recorderWrites: await redisOutcome(clients.recorder.hset(ticket, 'state', 'forged')),
          recorderDeletes: await redisOutcome(clients.recorder.del(ticket)),
        };
        expect(outcomes).to.deep.equal({
          gatewayWrites: 'ok',
          gatewayPublishes: 'ok',
          gatewayOtherKey: 'NOPERM',
          gatewayFlushall: 'NOPERM',
          gatewayKeys: 'NOPERM',
          gatewayConfig: 'NOPERM',
          matcherScript: 'ok',
          matcherScriptElsewhere: 'NOPERM',
          matcherPublishes: 'NOPERM',
          recorderReads: 'ok',
          recorderReadsEpoch: 'ok',
          recorderWrites: 'NOPERM',
          recorderDeletes: 'NOPERM',
        });
      } finally {
        for (const client of Object.values(clients)) client.disconnect();
      }
    });
  });

  describe('PostgreSQL', () => {
    it('has the owner own every table, and the services only their grants', async () => {
      const admin = createDb(databaseUrl, 1);
      const gateway = createDb(pgUrl('gateway'), 1);
      const recorder = createDb(pgUrl('recorder'), 1);
      const denied = (query: Promise<unknown>) =>
        query.then(
          () => 'ok',
          (error: { code?: string }) => (error.code === '42501' ? 'denied' : `error ${error.code}`),
        );
      try {
        const owners = new Set((await admin('pg_tables').where({ schemaname: 'public' }).pluck('tableowner')) as string[]);
        expect([...owners]).to.deep.equal([user('owner')]);
        const room = {
          id: '00000000-0000-4000-8000-000000000001',
          mode: 'ffa3',
          region: 'global',
          created_at: new Date(),
          spread: 0,
          imbalance: 0,
          size: 3,
          event: '{}',
        };
        const outcomes = {
          gatewayReadsPlayers: await denied(gateway('players').select('id').limit(1)),
          gatewayReadsRatings: await denied(gateway('ratings').select('mode').limit(1)),
          gatewayReadsRatingHistory: await denied(gateway('rating_history').select('at').limit(1)),
          gatewayWritesHistory: await denied(gateway('rooms').insert(room)),
          gatewayAltersSchema: await denied(gateway.raw('alter table players add column sneaky int')),
          gatewayCreatesTable: await denied(gateway.raw('create table sneaky (id int)')),
          recorderWritesHistory: await denied(recorder('rooms').insert(room)),
          recorderReadsPlayers: await denied(recorder('players').select('id').limit(1)),
          recorderDeletesHistory: await denied(recorder('rooms').delete()),
          recorderDropsTable: await denied(recorder.raw('drop table rooms cascade')),
        };
        expect(outcomes).to.deep.equal({
          gatewayReadsPlayers: 'ok',
          gatewayReadsRatings: 'ok',
          gatewayReadsRatingHistory: 'ok',
          gatewayWritesHistory: 'denied',
          gatewayAltersSchema: 'denied',
          gatewayCreatesTable: 'denied',
          recorderWritesHistory: 'ok',
          recorderReadsPlayers: 'denied',
          recorderDeletesHistory: 'denied',
          recorderDropsTable: 'denied',
        });
      } finally {
        await Promise.all([admin.destroy(), gateway.destroy(), recorder.destroy()]);
      }
    });
  });

  describe('the pipeline, each service with its own URLs', () => {
    let stack: Stack;
    before(async () => {
      // The earlier tests were refused on purpose; from here on, any refusal is a missing permission.
      await withAdminRedis((admin) => admin.call('ACL', 'LOG', 'RESET'));
      const ownUrls = (role: Role) => ({ AMQP_URL: amqpUrl(role), REDIS_URL: redisUrl(role), DATABASE_URL: pgUrl(role) });
      stack = await startStack({
        namespace,
        databaseUrl,
        env: { AMQP_URL: rabbit.url, REDIS_URL: redis.url },
        envFor: (service) => ownUrls(service),
      });
    });
    after(async () => {
      await stack?.stop();
    });

    it('matches three players, tells them, records the room, and shows it to an analyst', async () => {
      const connection = await amqplib.connect(amqpUrl('analyst'));
      const analyst = await connection.createChannel();
      await analyst.assertQueue('analyst.watch', { exclusive: true });
      await analyst.bindQueue('analyst.watch', names.rooms, '');
      try {
        const players = await Promise.all(['ada', 'bob', 'cy'].map((name) => stack.addPlayer(`${name}-${namespace}`)));
        const clients = await Promise.all(players.map((player) => stack.connect(player.token)));
        for (const client of clients) {
          client.send({ type: 'join', mode: 'ffa3', region: 'global' });
          await client.next('queued');
        }
        const matched = await Promise.all(clients.map((client) => client.next('matched', 60_000)));
        const roomId = (matched[0] as { room: { id: string } }).room.id;
        expect(new Set(matched.map((frame) => (frame as { room: { id: string } }).room.id))).to.deep.equal(new Set([roomId]));
        const deadline = Date.now() + 60_000;
        let recorded: unknown;
        while (!recorded && Date.now() < deadline) {
          recorded = await stack.db('rooms').where({ id: roomId }).first('id');
          if (!recorded) await new Promise((resolve) => setTimeout(resolve, 200));
        }
        expect(recorded, 'the recorder wrote the room with its own role').to.deep.equal({ id: roomId });
        const seen = await analyst.get('analyst.watch', { noAck: true });
        expect(seen && (JSON.parse(seen.content.toString()) as { id: string }).id).to.equal(roomId);
        // Redis logs every command an ACL refused, inside Lua scripts too: none, for any service.
        expect(await withAdminRedis((admin) => admin.call('ACL', 'LOG'))).to.deep.equal([]);
      } finally {
        await connection.close();
      }
    });
  });

  /**
   * The same roles on quorum queues (QUEUE_TYPE=quorum, as on a cluster): a namespace and
   * prefix of their own on the same private nodes, provisioned again. A quorum queue's
   * arguments name a dead-letter target, which RabbitMQ checks when the queue is declared.
   */
  describe('with quorum queues', () => {
    const quorumNamespace = newNamespace();
    const quorumPrefix = `${quorumNamespace}_`;
    const quorumDatabaseUrl = `${DATABASE_SERVER}/matchq_${quorumNamespace}`;
    const quorumNames = amqpNames(quorumNamespace);
    const quorumUser = (role: Role) => roleName(quorumPrefix, role);
    const quorumAmqpUrl = (role: Role) => rabbit.url.replace('guest:guest', `${quorumUser(role)}:${passwords[role]}`);
    const quorumRedisUrl = (role: Role) => `redis://${quorumUser(role)}:${passwords[role]}@127.0.0.1:${redis.port}`;
    const quorumPgUrl = (role: Role) => quorumDatabaseUrl.replace('//postgres@', `//${quorumUser(role)}:${passwords[role]}@`);
    const quorumPool = quorumNames.pool('ffa3', 'global');
    let stack: Stack;

    let printed: string[] = [];

    before(async () => {
      // AMQP_URL: an administrator (the private node's guest), who declares the quorum topology.
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'cli/provision.ts'], {
        env: {
          ...rabbit.env,
          AMQP_URL: rabbit.url,
          MATCHQ_NAMESPACE: quorumNamespace,
          PROVISION_PREFIX: quorumPrefix,
          QUEUE_TYPE: 'quorum',
          RABBITMQCTL: rabbit.ctlCommand.join(' '),
          REDIS_URL: redis.url,
          DATABASE_URL: quorumDatabaseUrl,
          ...Object.fromEntries(ROLES.map((role) => [passwordVariable(role), passwords[role]])),
        },
        timeout: 480_000,
      });
      printed = stdout.trim().split('\n');
    });
    after(async () => {
      await stack?.stop();
      await dropDatabase(quorumDatabaseUrl);
      await dropPostgresRoles(quorumDatabaseUrl, ROLES.map(quorumUser));
    });

    it('declares the quorum topology as the administrator, so that every service may assert it as each does on start, and not the analyst', async () => {
      expect(printed.filter((line) => line.startsWith('rabbitmq topology'))).to.deep.equal([
        'rabbitmq topology: 4 exchanges, 5 quorum queues and 3 bindings as wanted',
      ]);
      const topology = buildTopology(quorumNames, [{ mode: 'ffa3', region: 'global' }], 'quorum', { allocation: true });
      const outcomes: string[] = [];
      for (const role of ['gateway', 'matcher', 'notifier', 'recorder', 'allocator', 'analyst'] as const) {
        outcomes.push(`${role}: ${await attempt(quorumAmqpUrl(role), (channel) => assertTopology(channel, topology))}`);
      }
      expect(outcomes).to.deep.equal(['gateway: ok', 'matcher: ok', 'notifier: ok', 'recorder: ok', 'allocator: ok', 'analyst: refused']);
      const declared = JSON.parse(await rabbit.ctl('list_queues', 'name', 'type', '--formatter', 'json')) as { name: string; type: string }[];
      expect(declared.find((queue) => queue.name === quorumPool)?.type).to.equal('quorum');
    });

    it('gives each role its job on quorum queues and not the next one', async () => {
      const cases: [Role, string, (channel: ConfirmChannel) => Promise<unknown>, Outcome][] = [
        ['gateway', 'publish a request', publish(quorumNames.requests, 'ffa3.global'), 'ok'],
        ['gateway', 'consume a pool', consume(quorumPool), 'refused'],
        ['matcher', 'consume a pool', consume(quorumPool), 'ok'],
        ['matcher', 'publish a room', publish(quorumNames.rooms), 'ok'],
        ['matcher', 'consume the history', consume(quorumNames.history), 'refused'],
        ['notifier', 'consume its queue', consume(quorumNames.notifier), 'ok'],
        ['notifier', 'publish a room', publish(quorumNames.rooms), 'refused'],
        ['recorder', 'consume the history', consume(quorumNames.history), 'ok'],
        ['recorder', 'consume a pool', consume(quorumPool), 'refused'],
        ['allocator', 'consume the allocation queue', consume(quorumNames.allocation), 'ok'],
        ['allocator', 'consume a pool', consume(quorumPool), 'refused'],
        ['analyst', 'publish a room', publish(quorumNames.rooms), 'refused'],
        ['analyst', 'consume the history', consume(quorumNames.history), 'refused'],
      ];
      const outcomes = [];
      for (const [role, job, act] of cases) outcomes.push(`${role}: ${job}: ${await attempt(quorumAmqpUrl(role), act)}`);
      expect(outcomes).to.deep.equal(cases.map(([role, job, , outcome]) => `${role}: ${job}: ${outcome}`));
    });

    it('runs the pipeline on quorum queues, each service with its own URLs: a room matched, told, recorded, no ACL refusal', async () => {
      await withAdminRedis((admin) => admin.call('ACL', 'LOG', 'RESET'));
      stack = await startStack({
        namespace: quorumNamespace,
        databaseUrl: quorumDatabaseUrl,
        queueType: 'quorum',
        env: { AMQP_URL: rabbit.url, REDIS_URL: redis.url },
        envFor: (service) => ({ AMQP_URL: quorumAmqpUrl(service), REDIS_URL: quorumRedisUrl(service), DATABASE_URL: quorumPgUrl(service) }),
      });
      const players = await Promise.all(['ada', 'bob', 'cy'].map((name) => stack.addPlayer(`${name}-${quorumNamespace}`)));
      const clients = await Promise.all(players.map((player) => stack.connect(player.token)));
      // A join answered `unavailable` is sent again, as a game client does: a fresh quorum queue
      // on a loaded machine may take longer than the gateway's confirm timeout for its first
      // publishes. An ACL refusal is not that: it stays in Redis's ACL LOG, checked below.
      const refusals: string[] = [];
      for (const client of clients) {
        for (let attempt = 1; ; attempt++) {
          client.send({ type: 'join', mode: 'ffa3', region: 'global', id: attempt });
          const answer = await client.nextOf(['queued', 'error'], 15_000);
          if (answer.type === 'queued') break;
          refusals.push(`${answer.code}: ${answer.message}`);
          if (answer.code !== 'unavailable' || attempt === 3) expect.fail(`join refused: ${refusals.join('; ')}`);
        }
      }
      const matched = await Promise.all(clients.map((client) => client.next('matched', 60_000)));
      const roomId = (matched[0] as { room: { id: string } }).room.id;
      const deadline = Date.now() + 60_000;
      let recorded: unknown;
      while (!recorded && Date.now() < deadline) {
        recorded = await stack.db('rooms').where({ id: roomId }).first('id');
        if (!recorded) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(recorded, 'the recorder wrote the room with its own role').to.deep.equal({ id: roomId });
      expect(await withAdminRedis((admin) => admin.call('ACL', 'LOG'))).to.deep.equal([]);
    });
  });
});
