import { expect } from 'chai';
import { amqpNames } from '../../common/names.js';
import type { MatchConfig } from '../../core/types.js';
import { PlainBroker, eventually } from '../support/broker.js';
import { proposeAsMatcher } from '../support/claims.js';
import { startStack, type Stack } from '../support/stack.js';

const MATCH: MatchConfig = {
  regions: ['eu'],
  modes: {
    rc3: { teams: 1, teamSize: 3, window: { initial: 1000, perSecond: 0, max: 1000 }, maxWaitSeconds: 120, accept: { seconds: 30, cooldownSeconds: 1 } },
  },
};

/**
 * A decline is decided in Redis and told at once by the gateway; the pool's matcher learns of it
 * from the dissolved room, unless Redis restarts empty first. So the gateway also tells the pool:
 * a leave, as for a cancel, which keeps a matcher from putting the ticket back when Redis lost the
 * room. No matcher here: the leave stays in the pool queue where the test looks for it.
 */
describe('a decline reaches the pool as a leave (real broker and Redis)', () => {
  let stack: Stack;
  let broker: PlainBroker;

  before(async () => {
    stack = await startStack({ match: MATCH, without: ['matcher'] });
    broker = await PlainBroker.connect();
  });
  after(async () => {
    await broker?.close();
    await stack?.stop();
  });

  it('left declined to the player, and a leave of the ticket on the pool queue', async () => {
    const player = await stack.addPlayer('rc-decliner', 1500);
    const client = await stack.connect(player.token);
    client.send({ type: 'join', mode: 'rc3', region: 'eu' });
    const { ticketId } = await client.next('queued');
    const roomId = await proposeAsMatcher(stack.namespace, { mode: 'rc3', region: 'eu' }, { playerId: player.id, ticketId }, Date.now() + 30_000);
    client.send({ type: 'decline', roomId, id: 'd1' });
    expect(await client.next('left')).to.deep.equal({ type: 'left', ticketId, reason: 'declined', id: 'd1' });
    const poolQueue = amqpNames(stack.namespace).pool('rc3', 'eu');
    const leave = await eventually('the leave request', async () => {
      const message = await broker.get(poolQueue);
      if (!message) return undefined;
      const body = JSON.parse(message.content.toString());
      return body.type === 'leave' && body.ticketId === ticketId ? body : undefined;
    });
    expect(leave).to.include({ ticketId, playerId: player.id, mode: 'rc3', region: 'eu' });
  });
});
