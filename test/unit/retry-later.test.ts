import type { ConsumeMessage } from 'amqplib';
import { expect } from 'chai';
import { createLogger } from '../../common/logger.js';
import { ATTEMPTS_HEADER, FIRST_DELIVERY_HEADER, RETRY_LIMIT, attemptsOf, firstDeliveryOf, retryDelayMs, retryLater } from '../../common/retry-later.js';
import { FakeChannel } from '../support/fake-pool-io.js';

const logger = createLogger('test', 'silent');
const target = { queue: 'ns.notifier', dead: 'ns.dead', logger };

function message(headers: Record<string, unknown> = {}): ConsumeMessage {
  return {
    content: Buffer.from('{"v":1}'),
    fields: { deliveryTag: 1, redelivered: false, exchange: 'ns.rooms', routingKey: '', consumerTag: 'test' },
    properties: { headers, messageId: 'm1', type: 'room.v1', deliveryMode: 2, timestamp: 1234 },
  } as unknown as ConsumeMessage;
}

const waitFor = async (check: () => boolean, ms: number) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('retryLater: every retry capped, then dead-lettered', () => {
  it('puts a copy counting the attempt back on the queue, then acks the original', async () => {
    const channel = new FakeChannel();
    const original = message();
    const before = Date.now();
    retryLater(channel, original, 1, target, 'Redis away');
    await waitFor(() => channel.acked.length === 1, 3000);
    expect(channel.published).to.have.length(1);
    const [copy] = channel.published;
    expect(copy).to.deep.include({ exchange: '', routingKey: 'ns.notifier', body: { v: 1 } });
    expect(copy!.options).to.include({ messageId: 'm1', type: 'room.v1', persistent: true, timestamp: 1234 });
    expect(copy!.options.headers![ATTEMPTS_HEADER]).to.equal(1);
    expect(copy!.options.headers![FIRST_DELIVERY_HEADER]).to.be.within(before, Date.now());
    expect(channel.acked).to.deep.equal([original]);
  });

  it(`sends the message to the dead queue with the reason after ${RETRY_LIMIT} retries`, async () => {
    const channel = new FakeChannel();
    retryLater(channel, message({ [ATTEMPTS_HEADER]: RETRY_LIMIT, [FIRST_DELIVERY_HEADER]: 5 }), 1, target, 'a player had no gateway');
    await waitFor(() => channel.acked.length === 1, 1000);
    expect(channel.published).to.have.length(1);
    expect(channel.published[0]!.routingKey).to.equal('ns.dead');
    expect(channel.published[0]!.options.headers!['x-matchq-reason']).to.equal(`gave up after ${RETRY_LIMIT} retries: a player had no gateway`);
  });

  it('holds forged headers to what they can mean: attempts within [0, limit], a first delivery never in the future', () => {
    expect(attemptsOf(message({ [ATTEMPTS_HEADER]: -1e9 }))).to.equal(0);
    expect(attemptsOf(message({ [ATTEMPTS_HEADER]: 'many' }))).to.equal(0);
    expect(attemptsOf(message({ [ATTEMPTS_HEADER]: 1e9 }))).to.equal(RETRY_LIMIT);
    expect(firstDeliveryOf(message({ [FIRST_DELIVERY_HEADER]: 8e15 }), 1000)).to.equal(1000);
    expect(firstDeliveryOf(message(), 1000)).to.equal(1000);
    expect(firstDeliveryOf(message({ [FIRST_DELIVERY_HEADER]: 400 }), 1000)).to.equal(400);
  });

  it('waits longer with each retry, up to 30 s', () => {
    expect([1, 2, 3, 6, 30].map(retryDelayMs)).to.deep.equal([1000, 2000, 4000, 30_000, 30_000]);
  });
});
