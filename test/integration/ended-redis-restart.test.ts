import { expect } from 'chai';
import { Redis } from 'ioredis';
import { startPrivateRedis, type PrivateRedis } from '../../chaos/private-nodes.js';
import { redisKeys } from '../../common/names.js';
import type { MatchConfig } from '../../core/types.js';
import { eventually } from '../support/broker.js';
import { proposeAsMatcher } from '../support/claims.js';
import { partyOfTwo } from '../support/parties.js';
import { startStack, type Stack } from '../support/stack.js';

/** Rooms of three with a ready check, parties of two. */
const MATCH: MatchConfig = {
  regions: ['eu'],
  modes: {
    rc3: {
      teams: 1,
      teamSize: 3,
      window: { initial: 1000, perSecond: 0, max: 1000 },
      maxWaitSeconds: 120,
      accept: { seconds: 30, cooldownSeconds: 0 },
      party: { maxSize: 2, aggregate: 'avg' },
    },
  },
};

/**
 * An end decided in Redis and told to one player, then Redis restarted empty (a private
 * redis-server, nothing on disk) before the pool's matcher settled it: the chaos run's split
 * party (a member told `left declined` 30 ms before the restart; the other member's gateway
 * wrote the ticket back as queued, a matcher proposed it again, and it ended `left
 * accept_timeout`). No matcher here, so the decision is never settled (its dissolved room,
 * which would tell the other member, never goes out): the decliner's gateway must write the
 * end back and tell the other member itself.
 */
describe('an end told just before Redis restarts empty (a private redis-server restarted)', function () {
  this.timeout(90_000);
  let redis: PrivateRedis;
  let stack: Stack;
  let plain: Redis;
  let seq = 0;

  before(async () => {
    redis = await startPrivateRedis();
    stack = await startStack({ match: MATCH, without: ['matcher', 'recorder'], gateways: 2, redisUrl: redis.url });
    plain = new Redis(redis.url, { lazyConnect: true });
    await plain.connect();
  });
  after(async () => {
    plain?.disconnect();
    await stack?.stop();
    await redis?.stop();
  });

  const stateOf = (ticketId: string) => plain.hget(redisKeys(stack.namespace).ticket('rc3', 'eu', ticketId), 'state');

  it("a party's decline: the other member is told left declined, and Redis holds the ticket declined, not queued", async () => {
    const { leader, member, leaderId, memberId } = await partyOfTwo(stack, [`er-lead${++seq}`, `er-member${seq}`]);
    leader.send({ type: 'join', mode: 'rc3', region: 'eu' });
    const { ticketId } = await leader.next('queued');
    expect((await member.next('queued')).ticketId, "the party's ticket").to.equal(ticketId);
    const roomId = await proposeAsMatcher(
      stack.namespace,
      { mode: 'rc3', region: 'eu' },
      [
        { playerId: leaderId, ticketId },
        { playerId: memberId, ticketId },
      ],
      Date.now() + 30_000,
      redis.url,
    );
    leader.send({ type: 'decline', roomId, id: 'd' });
    expect(await leader.next('left')).to.include({ ticketId, reason: 'declined' });
    await redis.restart();
    const told = await member.next('left', 30_000);
    expect(told, 'the other member').to.include({ ticketId, reason: 'declined' });
    // A matcher taking the ticket's join again reads it from Redis: queued there, it would wait again.
    expect(await eventually('the ticket written back', async () => (await stateOf(ticketId)) ?? undefined)).to.equal('declined');
    leader.close();
    member.close();
  });

  it('a solo decline: Redis holds the ticket declined again (a missing ticket counts as queued to a matcher)', async () => {
    const player = await stack.addPlayer(`er-solo${++seq}`);
    const client = await stack.connect(player.token, 0);
    client.send({ type: 'join', mode: 'rc3', region: 'eu' });
    const { ticketId } = await client.next('queued');
    const roomId = await proposeAsMatcher(stack.namespace, { mode: 'rc3', region: 'eu' }, { playerId: player.id, ticketId }, Date.now() + 30_000, redis.url);
    client.send({ type: 'decline', roomId, id: 'd' });
    expect(await client.next('left')).to.include({ ticketId, reason: 'declined' });
    await redis.restart();
    expect(await eventually('the ticket written back', async () => (await stateOf(ticketId)) ?? undefined, 20_000)).to.equal('declined');
    client.close();
  });
});
