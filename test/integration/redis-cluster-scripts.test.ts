import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { startPrivateRedisCluster, type PrivateRedisCluster } from '../../chaos/private-nodes.js';
import { redisKeys } from '../../common/names.js';
import { connectRedis, type RedisClient } from '../../common/redis.js';
import { createTicketStore, type TicketStore } from '../../common/ticket-store.js';
import { silent } from '../support/stack.js';

const POOLS = ['ffa3', 'duo', 'rc3', 'squad', 'solo', 'trio'].map((mode) => ({ mode, region: 'eu' }));

/**
 * matchq's scripts with a varying key count (claim-delivery, mark-told, claim-room,
 * expire-tickets, read-rooms, mark-notified…) beside plain commands in one event-loop turn, on a private Redis Cluster,
 * through the client every service uses: ioredis's auto-pipelining grouped such a script by
 * its key count, put it in another node's pipeline, and failed the whole pipeline (a GET of a
 * player's gateway included). The chaos run on clusters met it as hundreds of players never told.
 */
describe('scripts with a varying key count on a Redis Cluster, in one turn with other commands', function () {
  this.timeout(60_000);
  let cluster: PrivateRedisCluster;
  let redis: RedisClient;
  let store: TicketStore;
  const namespace = `clscripts${process.pid}`;

  before(async () => {
    cluster = await startPrivateRedisCluster({ replicas: 0 });
    redis = await connectRedis(cluster.url, silent);
    store = createTicketStore(redis, redisKeys(namespace));
  });
  after(async () => {
    redis?.disconnect();
    await cluster?.stop();
  });

  it('answers every claim, mark and read of a turn across pools on every node, none refused', async () => {
    const tickets = POOLS.flatMap((pool) =>
      Array.from({ length: 5 }, () => ({ ...pool, ticketId: randomUUID(), playerId: randomUUID(), rating: 1500, joinedAt: Date.now() })),
    );
    for (const ticket of tickets) await store.open(ticket, null, 60);
    const owners = new Set(
      await Promise.all(POOLS.map(async (pool) => (await cluster.holders(redisKeys(namespace).ticket(pool.mode, pool.region, 'x'))).primary.port)),
    );
    expect(owners.size, 'the pools live on more than one node').to.be.greaterThan(1);
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.allSettled([
        store.routesOf(tickets.map((ticket) => ticket.playerId)),
        ...tickets.map((ticket) => store.claimDelivery(ticket, `c${round}`)),
        ...tickets.map((ticket) => store.get(ticket)),
        ...POOLS.map((pool) =>
          store.readRoom(
            pool.mode,
            pool.region,
            `room-${round}`,
            tickets.filter((ticket) => ticket.mode === pool.mode).map((ticket) => ticket.ticketId),
          ),
        ),
        ...POOLS.map((pool) => store.markRoomNotified(pool.mode, pool.region, `room-${round}`)),
        ...POOLS.map((pool) =>
          store.expire(
            pool.mode,
            pool.region,
            tickets.filter((ticket) => ticket.mode === pool.mode).map((ticket) => ticket.ticketId),
          ),
        ),
      ]);
      const refused = answers.filter((answer) => answer.status === 'rejected').map((answer) => String((answer as PromiseRejectedResult).reason));
      expect(refused, `round ${round}`).to.deep.equal([]);
      await Promise.all(tickets.map((ticket) => store.markTold(ticket)));
    }
    expect((await store.get(tickets[0]!))?.delivered).to.equal(true);
    const [pool] = POOLS;
    const ofPool = tickets.filter((ticket) => ticket.mode === pool!.mode).map((ticket) => ticket.ticketId);
    const read = await store.readRoom(pool!.mode, pool!.region, 'room-0', ofPool);
    expect(read.notified, 'marked in round 0').to.equal(true);
    expect(read.states.map(({ state }) => state)).to.deep.equal(ofPool.map(() => 'timeout'));
    expect((await store.readRoom(pool!.mode, pool!.region, 'never-routed', ofPool)).notified).to.equal(false);
  });
});
