import { expect } from 'chai';
import type { JoinFrame } from '../../packages/client/src/index.js';
import { eventually } from '../support/broker.js';
import { startHoldProxy } from '../support/hold-proxy.js';
import { metricValue } from '../support/metrics.js';
import { AMQP_URL } from '../support/namespace.js';
import { startStack, type Stack } from '../support/stack.js';

const JOIN: JoinFrame = { type: 'join', mode: 'ffa3', region: 'global' };

describe('gateway: a graceful stop with a request stuck on a slow broker', () => {
  let proxy: Awaited<ReturnType<typeof startHoldProxy>>;
  let stack: Stack;

  before(async () => {
    const broker = new URL(AMQP_URL);
    proxy = await startHoldProxy(Number(broker.port || 5672));
    broker.port = String(proxy.port);
    stack = await startStack({
      without: ['matcher'],
      envFor: (service) => (service === 'gateway' ? { AMQP_URL: broker.toString() } : {}),
    });
  });
  after(async () => {
    proxy?.release();
    await stack?.stop();
    await proxy?.close();
  });

  it('closes its sockets with 1001 without waiting out the stuck request, so players reconnect elsewhere at once', async () => {
    const stuck = await stack.connect((await stack.addPlayer('stuck')).token);
    const idle = await stack.connect((await stack.addPlayer('idle')).token);
    proxy.hold();
    stuck.send({ ...JOIN, id: 'held' });
    const pending = () => metricValue(stack.httpUrl('/metrics'), 'matchq_gateway_publishes_pending', { stage: 'unconfirmed' });
    await eventually('the join written and unconfirmed', async () => (await pending()) === 1);
    const stopping = stack.gateways[0]!.stop();
    // Both sockets close while the join's confirm is still held back: before its 5 s timeout could answer it.
    expect(await stuck.closeCode()).to.equal(1001);
    expect(await idle.closeCode()).to.equal(1001);
    expect(stuck.frames.filter((frame) => frame.type === 'error' || frame.type === 'queued')).to.deep.equal([]);
    proxy.release();
    await stopping;
  });
});
