import { expect } from 'chai';
import type { JoinFrame } from '../../packages/client/src/index.js';
import { SHED_AFTER_MS } from '../../services/producer/gateway.js';
import { eventually } from '../support/broker.js';
import { startStackWithHeldBroker } from '../support/hold-proxy.js';
import { metricValue } from '../support/metrics.js';
import type { Stack } from '../support/stack.js';

const JOIN: JoinFrame = { type: 'join', mode: 'ffa3', region: 'global' };

describe('gateway: joins in flight bounded by MAX_JOINS_IN_FLIGHT (a broker slow to confirm)', () => {
  let proxy: Awaited<ReturnType<typeof startStackWithHeldBroker>>['proxy'];
  let stack: Stack;
  const metric = (name: string, labels?: Record<string, string>) => metricValue(stack.httpUrl('/metrics'), name, labels);

  let held: Awaited<ReturnType<typeof startStackWithHeldBroker>> | undefined;

  before(async () => {
    held = await startStackWithHeldBroker({ MAX_JOINS_IN_FLIGHT: '2' });
    ({ stack, proxy } = held);
  });
  after(async () => {
    await held?.stop();
  });

  it('answers a join past the bound, once the oldest has waited, unavailable at once, counts it, and takes the held ones when the confirms come', async () => {
    const [first, second, third] = await Promise.all([1, 2, 3].map(async (n) => stack.connect((await stack.addPlayer(`shed${n}`)).token)));
    proxy.hold();
    first!.send({ ...JOIN, id: 'a' });
    second!.send({ ...JOIN, id: 'b' });
    await eventually('two joins written and unconfirmed', async () => (await metric('matchq_gateway_publishes_pending', { stage: 'unconfirmed' })) === 2);
    expect(await metric('matchq_gateway_joins_in_flight')).to.equal(2);
    // The bound is reached; refusing needs the oldest join to have waited too.
    await new Promise((resolve) => setTimeout(resolve, SHED_AFTER_MS + 100));

    third!.send({ ...JOIN, id: 'c' });
    expect(await third!.next('error')).to.include({ code: 'unavailable', id: 'c' });
    expect(await metric('matchq_gateway_joins_shed_total')).to.equal(1);
    // Still held: neither earlier join has been answered.
    expect([...first!.frames, ...second!.frames].map((frame) => frame.type)).to.not.include('queued');

    proxy.release();
    expect(await first!.next('queued')).to.include({ id: 'a' });
    expect(await second!.next('queued')).to.include({ id: 'b' });
    await eventually('no join in flight', async () => (await metric('matchq_gateway_joins_in_flight')) === 0);
    // The refused join left nothing behind: the player joins again and is queued.
    third!.send({ ...JOIN, id: 'c2' });
    expect(await third!.next('queued')).to.include({ id: 'c2' });
  });

  it('takes a burst past the bound whole while the broker answers in time', async () => {
    const shedBefore = await metric('matchq_gateway_joins_shed_total');
    const clients = await Promise.all([1, 2, 3, 4, 5].map(async (n) => stack.connect((await stack.addPlayer(`burst${n}`)).token)));
    clients.forEach((client, index) => client.send({ ...JOIN, id: `burst${index}` }));
    for (const [index, client] of clients.entries()) expect(await client.next('queued')).to.include({ id: `burst${index}` });
    expect(await metric('matchq_gateway_joins_shed_total')).to.equal(shedBefore);
  });
});
