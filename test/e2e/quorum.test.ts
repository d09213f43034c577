import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { amqpNames } from '../../common/names.js';
import { poolsOf } from '../../common/config.js';
import { buildTopology, DELIVERY_LIMIT } from '../../common/topology.js';
import { PlainBroker, eventually } from '../support/broker.js';
import { startStack, type Stack } from '../support/stack.js';

/** The pipeline as it runs on a RabbitMQ cluster: every durable queue a quorum queue. */
describe('the pipeline on quorum queues', () => {
  let stack: Stack;
  let broker: PlainBroker;
  before(async () => {
    stack = await startStack({ queueType: 'quorum', without: ['recorder'] });
    broker = await PlainBroker.connect();
  });
  after(async () => {
    await broker?.close();
    await stack?.stop();
  });

  it('declares every durable queue as a quorum queue', async () => {
    const topology = buildTopology(amqpNames(stack.namespace), poolsOf(stack.config.match), 'quorum');
    for (const queue of topology.queues) {
      // Re-declaring with the very same arguments succeeds only if the broker holds a quorum queue.
      const channel = await broker.openChannel();
      await channel.assertQueue(queue.name, { durable: true, arguments: queue.arguments });
      await channel.close();
    }
    const channel = await broker.openChannel();
    channel.on('error', () => undefined); // the refusal closes this channel, as it should
    const refused = await channel.assertQueue(topology.queues[0]!.name, { durable: true, arguments: { 'x-queue-type': 'classic' } }).then(
      () => false,
      () => true,
    );
    expect(refused, 'the pool queue is not a classic queue').to.equal(true);
  });

  it('matches three players end to end', async () => {
    const clients = await Promise.all(['q1', 'q2', 'q3'].map(async (name) => stack.connect((await stack.addPlayer(name, 1500)).token)));
    clients.forEach((client) => client.send({ type: 'join', mode: 'ffa3', region: 'global' }));
    const rooms = await Promise.all(clients.map((client) => client.next('matched')));
    expect(new Set(rooms.map((frame) => (frame.room as { id: string }).id)).size).to.equal(1);
  });

  it('dead-letters a message redelivered past the delivery limit, so no poison message loops forever', async () => {
    const names = amqpNames(stack.namespace);
    const id = randomUUID();
    await broker.drain(names.history); // rooms of the test before: no recorder runs here
    broker.publishJson('', names.history, { poison: id });
    const channel = await broker.openChannel();
    // A consumer that crashes on the message every time: take it, give it back.
    for (let attempt = 0; attempt <= DELIVERY_LIMIT; attempt++) {
      const message = await eventually(`delivery ${attempt}`, () => channel.get(names.history));
      channel.nack(message, false, true);
    }
    const dead = await eventually('the poison message in the dead queue', async () =>
      (await broker.drain(names.dead)).find((message) => message.content.toString().includes(id)),
    );
    expect(JSON.parse(dead.content.toString())).to.deep.equal({ poison: id });
    await channel.close();
  });
});
