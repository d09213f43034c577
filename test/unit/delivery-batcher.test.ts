import { expect } from 'chai';
import { decodeDeliveries, encode, type Delivery } from '../../common/messages.js';
import { createDeliveryBatcher } from '../../services/notifier/delivery-batcher.js';
import { FakeChannel } from '../support/fake-pool-io.js';

const kick = (n: number): Delivery => ({ kind: 'kick', playerId: `p${n}`, connectionId: `c${n}` });
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** The notifier's batcher over the broker channel's in-memory twin: what each gateway's queue would get. */
describe("the notifier's delivery batcher", () => {
  let channel: FakeChannel;
  const batcherOver = (channel: FakeChannel, maxPerMessage?: number) =>
    createDeliveryBatcher((gatewayId, content) => channel.publish('deliveries', gatewayId, content), maxPerMessage);
  const sent = (gatewayId: string) =>
    channel.published.filter((message) => message.routingKey === gatewayId).map((message) => decodeDeliveries(Buffer.from(JSON.stringify(message.body))));

  beforeEach(() => {
    channel = new FakeChannel();
  });

  it("sends one gateway a turn's deliveries as one batch, in order, and each send resolves once it is published", async () => {
    const batcher = batcherOver(channel);
    const sends = [1, 2, 3].map((n) => batcher.send('gw-a', encode(kick(n)), true));
    expect(channel.published).to.deep.equal([]);
    await Promise.all(sends);
    expect(channel.published).to.have.length(1);
    expect(channel.published[0]!.body).to.deep.equal({ kind: 'batch', deliveries: [kick(1), kick(2), kick(3)] });
  });

  it('sends each gateway its own message, a lone delivery as a single one, and a later turn in a message of its own', async () => {
    const batcher = batcherOver(channel);
    await Promise.all([batcher.send('gw-a', encode(kick(1)), true), batcher.send('gw-b', encode(kick(2)), true), batcher.send('gw-a', encode(kick(3)), true)]);
    await batcher.send('gw-a', encode(kick(4)), true);
    expect(sent('gw-a').map((message) => message.deliveries)).to.deep.equal([[kick(1), kick(3)], [kick(4)]]);
    expect(channel.published.filter((message) => message.routingKey === 'gw-b').map((message) => message.body)).to.deep.equal([kick(2)]);
    // The later turn's lone delivery went as a single one, not a batch of one.
    expect(channel.published.at(-1)!.body).to.deep.equal(kick(4));
  });

  it('sends a gateway that does not take batches (an entry of the version before) each delivery on its own, in order', async () => {
    const batcher = batcherOver(channel);
    await Promise.all([
      batcher.send('gw-old', encode(kick(1)), true),
      batcher.send('gw-old', encode(kick(2)), false),
      batcher.send('gw-old', encode(kick(3)), true),
    ]);
    expect(channel.published.map((message) => message.body)).to.deep.equal([kick(1), kick(2), kick(3)]);
  });

  it('splits a turn of more than a batch holds into several batches', async () => {
    const batcher = batcherOver(channel, 2);
    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.send('gw-a', encode(kick(n)), true)));
    expect(channel.published.map((message) => message.body)).to.deep.equal([
      { kind: 'batch', deliveries: [kick(1), kick(2)] },
      { kind: 'batch', deliveries: [kick(3), kick(4)] },
      kick(5),
    ]);
  });

  it('fails every send of a batch the broker did not take, and only those', async () => {
    const batcher = batcherOver(channel);
    channel.failPublishes = 1;
    const lost = Promise.allSettled([batcher.send('gw-a', encode(kick(1)), true), batcher.send('gw-a', encode(kick(2)), true)]);
    await nextTurn();
    const kept = Promise.allSettled([batcher.send('gw-b', encode(kick(3)), true)]);
    expect((await lost).map((outcome) => outcome.status)).to.deep.equal(['rejected', 'rejected']);
    expect((await kept).map((outcome) => outcome.status)).to.deep.equal(['fulfilled']);
    expect(channel.published.map((message) => message.body)).to.deep.equal([kick(3)]);
  });
});
