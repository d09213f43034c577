import { expect } from 'chai';
import { startPrivateRedis, type PrivateRedis } from '../../chaos/private-nodes.js';
import { Redis } from 'ioredis';
import { redisKeys } from '../../common/names.js';
import { eventually } from '../support/broker.js';
import { PlayerClient } from '../support/player-client.js';
import { startStack, type Stack } from '../support/stack.js';

const JOIN = { type: 'join', mode: 'ffa3', region: 'global' } as const;

/**
 * The gateway while Redis is down: a private redis-server this test starts and kills (never
 * the shared one), so players meet Redis gone and back.
 */
describe('gateway while Redis is down (a private redis-server, killed and restarted)', function () {
  this.timeout(60_000);
  let redis: PrivateRedis;
  let stack: Stack;
  before(async () => {
    redis = await startPrivateRedis();
    stack = await startStack({ redisUrl: redis.url, without: ['matcher', 'recorder'], gateways: 2 });
  });
  after(async () => {
    await stack?.stop();
    await redis?.stop();
  });

  it('answers a join with unavailable within 2 s, and closes a reconnecting socket with 1013; all works again once Redis is back', async () => {
    const [ada, bob] = await Promise.all([stack.addPlayer('rd-ada'), stack.addPlayer('rd-bob')]);
    const waiting = await stack.connect(ada!.token, 0);
    waiting.send(JOIN);
    const { ticketId } = await waiting.next('queued');
    const joiner = await stack.connect(bob!.token, 0);
    // Its resume done (answers come in order, after it): the socket is fully set up.
    joiner.send({ type: 'leave' });
    await joiner.next('error');
    await redis.kill(true);

    const asked = Date.now();
    joiner.send({ ...JOIN, id: 'j' });
    expect(await joiner.next('error', 5000)).to.include({ code: 'unavailable', id: 'j' });
    expect(Date.now() - asked, 'time to unavailable').to.be.below(2000);

    // Ada reconnects to the other gateway while Redis is down: no resume is possible, so the
    // socket is closed with 1013 and the client comes back later, rather than hearing nothing ever.
    const again = await PlayerClient.connect(stack.wsUrl(ada!.token, 1));
    await again.next('hello');
    expect(await again.closeCode(6000)).to.equal(1013);

    await redis.start();
    // Redis came back empty; gateway 0 writes back who it holds and their live tickets.
    const check = new Redis(redis.url);
    try {
      await eventually('gateway 0 wrote Ada back', async () => (await check.exists(redisKeys(stack.namespace).playerGateway(ada!.id))) === 1);
    } finally {
      check.disconnect();
    }
    const back = await PlayerClient.connect(stack.wsUrl(ada!.token, 1));
    await back.next('hello');
    expect((await back.next('queued')).ticketId, 'her ticket resumed').to.equal(ticketId);
    // The newest socket won at last: the older one on the other gateway was kicked (4000).
    expect(await waiting.closeCode(5000)).to.equal(4000);
    joiner.send({ ...JOIN, id: 'k' });
    expect(await joiner.next('queued', 10_000)).to.include({ id: 'k' });
    back.close();
    joiner.close();
  });
});
