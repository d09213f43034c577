import { expect } from 'chai';
import { amqpNames } from '../../common/names.js';
import { buildTopology, DELIVERY_LIMIT, validateTopology } from '../../common/topology.js';

describe('topology as data', () => {
  const pools = [
    { mode: 'ffa3', region: 'eu' },
    { mode: 'duo', region: 'us' },
  ];
  const topology = buildTopology(amqpNames('matchq'), pools, 'classic');

  it('declares the contract names: exchanges, pool queues with a single active consumer, and bindings', () => {
    expect(topology.exchanges).to.deep.equal([
      { name: 'matchq.requests', type: 'direct' },
      { name: 'matchq.rooms', type: 'fanout' },
      { name: 'matchq.deliveries', type: 'direct' },
      { name: 'matchq.results', type: 'fanout' },
    ]);
    expect(topology.queues.map((queue) => queue.name)).to.deep.equal([
      'matchq.pool.ffa3.eu',
      'matchq.pool.duo.us',
      'matchq.notifier',
      'matchq.history',
      'matchq.dead',
    ]);
    expect(topology.queues[0]!.arguments).to.include({ 'x-single-active-consumer': true });
    expect(topology.bindings).to.deep.include({ queue: 'matchq.pool.duo.us', exchange: 'matchq.requests', routingKey: 'duo.us' });
    expect(topology.bindings).to.deep.include({ queue: 'matchq.history', exchange: 'matchq.rooms', routingKey: '' });
    expect(() => validateTopology(topology)).to.not.throw();
  });

  it("declares the allocation queue only with an allocator, so ALLOCATOR=none keeps v1's topology", () => {
    const withAllocator = buildTopology(amqpNames('matchq'), pools, 'quorum', { allocation: true });
    expect(withAllocator.queues.map((queue) => queue.name)).to.include('matchq.allocation');
    expect(withAllocator.queues.find((queue) => queue.name === 'matchq.allocation')!.arguments).to.include({
      'x-queue-type': 'quorum',
      'x-delivery-limit': DELIVERY_LIMIT,
    });
    expect(topology.queues.map((queue) => queue.name)).to.not.include('matchq.allocation');
  });

  it('gives quorum queues a delivery limit that dead-letters poison messages', () => {
    const quorum = buildTopology(amqpNames('matchq'), pools, 'quorum');
    expect(quorum.queues[2]!.arguments).to.deep.equal({
      'x-queue-type': 'quorum',
      'x-delivery-limit': DELIVERY_LIMIT,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'matchq.dead',
    });
  });

  it('fails at start naming a binding to an undeclared queue or exchange', () => {
    expect(() => validateTopology({ ...topology, bindings: [{ queue: 'matchq.nope', exchange: 'matchq.rooms', routingKey: '' }] })).to.throw(
      'unknown queue matchq.nope',
    );
    expect(() => validateTopology({ ...topology, bindings: [{ queue: 'matchq.history', exchange: 'matchq.gone', routingKey: '' }] })).to.throw(
      'unknown exchange matchq.gone',
    );
  });
});
