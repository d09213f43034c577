import type { JoinFrame } from '../../packages/client/src/wire/index.js';
import { expect } from 'chai';
import { startPrivateRedisCluster } from '../../chaos/private-nodes.js';
import { startStack, type Stack } from '../support/stack.js';

const JOIN: JoinFrame = { type: 'join', mode: 'ffa3', region: 'global' };

/**
 * The pipeline on a real Redis Cluster: every Lua script touches one hash slot (tickets and
 * rooms are tagged by pool, players by player), and nothing pipelines across slots.
 */
describe('the pipeline on a Redis Cluster (three nodes)', function () {
  this.timeout(60_000);
  let cluster: Awaited<ReturnType<typeof startPrivateRedisCluster>>;
  let stack: Stack;

  before(async () => {
    cluster = await startPrivateRedisCluster();
    stack = await startStack({ redisUrl: cluster.url, gateways: 2 });
  });
  after(async () => {
    await stack?.stop();
    await cluster?.stop();
  });

  it('matches three players, one of them after a leave, a rejoin and a reconnect to the other gateway', async () => {
    const [a, b, c] = await Promise.all(['ca', 'cb', 'cc'].map((name) => stack.addPlayer(name, 1500)));
    const first = await stack.connect(a!.token, 0);
    first.send(JOIN);
    const { ticketId: cancelled } = await first.next('queued');
    first.send({ type: 'leave' });
    expect((await first.next('left')).ticketId).to.equal(cancelled);
    first.send(JOIN);
    const { ticketId } = await first.next('queued');
    first.close();
    await first.closeCode();
    const back = await stack.connect(a!.token, 1);
    expect((await back.next('queued')).ticketId).to.equal(ticketId);
    const others = await Promise.all([b!, c!].map((player) => stack.connect(player.token, 0)));
    others.forEach((client) => client.send(JOIN));
    const rooms = await Promise.all([back, ...others].map((client) => client.next('matched')));
    expect(new Set(rooms.map((frame) => (frame.room as { id: string }).id)).size).to.equal(1);
    expect(rooms[0]!.ticketId).to.equal(ticketId);
  });
});
