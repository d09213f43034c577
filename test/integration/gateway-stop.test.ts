import { expect } from 'chai';
import type { JoinFrame } from '../../packages/client/src/index.js';
import { eventually } from '../support/broker.js';
import { startStackWithHeldBroker } from '../support/hold-proxy.js';
import { metricValue } from '../support/metrics.js';
import type { Stack } from '../support/stack.js';

const JOIN: JoinFrame = { type: 'join', mode: 'ffa3', region: 'global' };

describe('gateway: a graceful stop with a request stuck on a slow broker', () => {
  let proxy: Awaited<ReturnType<typeof startStackWithHeldBroker>>['proxy'];
  let stack: Stack;

  let held: Awaited<ReturnType<typeof startStackWithHeldBroker>> | undefined;

  before(async () => {
    held = await startStackWithHeldBroker();
    ({ stack, proxy } = held);
  });
  after(async () => {
    await held?.stop();
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
