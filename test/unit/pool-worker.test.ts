import { expect } from 'chai';
import { Registry } from 'prom-client';
import { createLogger } from '../../common/logger.js';
import { amqpNames } from '../../common/names.js';
import { createMatcherMetrics } from '../../services/matcher/metrics.js';
import { PoolWorker } from '../../services/matcher/pool-worker.js';
import { delivery, FakeChannel, FakeStore } from '../support/fake-pool-io.js';

const RULE = { teams: 1, teamSize: 3, window: { initial: 100, perSecond: 0, max: 100 }, maxWaitSeconds: 10 };
const names = amqpNames('unit');
const NOW = 1_000_000;

function join(ticketId: string, rating = 1500, joinedAt = NOW) {
  return { v: 1, type: 'join', ticketId, playerId: `p-${ticketId}`, name: `n-${ticketId}`, rating, mode: 'ffa3', region: 'eu', joinedAt };
}
const leave = (ticketId: string) => ({ v: 1, type: 'leave', ticketId, playerId: `p-${ticketId}`, mode: 'ffa3', region: 'eu' });

/** The real pool worker over the in-memory channel and store. */
function setup() {
  const channel = new FakeChannel();
  const store = new FakeStore();
  const rooms: string[] = [];
  let ids = 0;
  const worker = new PoolWorker({
    mode: 'ffa3',
    region: 'eu',
    rule: RULE,
    channel,
    store,
    names,
    logger: createLogger('test', 'silent'),
    metrics: createMatcherMetrics(new Registry(), () => new Map()),
    clock: () => NOW,
    newId: () => `room-${++ids}`,
    onRoom: (event) => rooms.push(event.id),
  });
  worker.owned = true;
  const send = (body: unknown, redelivered = false) => {
    const message = delivery(body, { redelivered });
    worker.receive(message, 1);
    return message;
  };
  const roomsPublished = () => channel.published.filter((entry) => entry.exchange === names.rooms);
  const timeoutsPublished = () => channel.published.filter((entry) => entry.routingKey === names.notifier);
  return { channel, store, worker, rooms, send, roomsPublished, timeoutsPublished };
}

describe('pool worker (fake broker and Redis)', () => {
  it('claims a room, publishes it, and acks its joins only after the confirm', async () => {
    const { channel, store, worker, rooms, send, roomsPublished } = setup();
    const joins = ['a', 'b', 'c'].map((id) => send(join(id)));
    await worker.tick(NOW);
    expect(roomsPublished()).to.have.length(1);
    expect(roomsPublished()[0]!.options).to.include({ messageId: 'room-1', type: 'room.v1' });
    expect(['a', 'b', 'c'].map((id) => store.stateOf(id))).to.deep.equal(['matched', 'matched', 'matched']);
    expect(channel.acked).to.have.members(joins);
    expect(rooms).to.deep.equal(['room-1']);
    expect(worker.intake.held.size).to.equal(0);
  });

  it('keeps a claimed room whose publish failed, acks nothing, and publishes the same id next tick', async () => {
    const { channel, worker, send, roomsPublished } = setup();
    ['a', 'b', 'c'].forEach((id) => send(join(id)));
    channel.failPublishes = 1;
    await worker.tick(NOW);
    expect(roomsPublished()).to.have.length(0);
    expect(channel.acked).to.have.length(0);
    expect(worker.outbox.unpublished).to.have.length(1);
    await worker.tick(NOW + 1000);
    expect(roomsPublished().map((entry) => entry.options.messageId)).to.deep.equal(['room-1']);
    expect(channel.acked).to.have.length(3);
    expect(worker.outbox.size).to.equal(0);
  });

  it('returns every ticket of a room it could not claim, and forms it again next tick', async () => {
    const { channel, store, worker, send, roomsPublished } = setup();
    ['a', 'b', 'c'].forEach((id) => send(join(id)));
    store.failNext.add('claimRooms');
    await worker.tick(NOW);
    expect(roomsPublished()).to.have.length(0);
    expect(worker.intake.pool.size).to.equal(3);
    expect(channel.acked).to.have.length(0);
    await worker.tick(NOW + 1000);
    expect(roomsPublished()).to.have.length(1);
  });

  it('gives up a room whose ticket ended in Redis first: acks that join, the others wait', async () => {
    const { channel, store, worker, send, roomsPublished } = setup();
    const [, b] = ['a', 'b', 'c'].map((id) => send(join(id)));
    store.set('b', 'cancelled');
    await worker.tick(NOW);
    expect(roomsPublished()).to.have.length(0);
    expect(channel.acked).to.deep.equal([b]);
    expect(worker.intake.pool.size).to.equal(2);
    send(join('d'));
    await worker.tick(NOW + 1000);
    expect((roomsPublished()[0]!.body as { players: { ticketId: string }[] }).players.map((player) => player.ticketId).sort()).to.deep.equal(['a', 'c', 'd']);
  });

  it('drops a ticket whose leave came before the tick, and one whose leave came before its join', async () => {
    const { channel, worker, send } = setup();
    const a = send(join('a'));
    const leaveA = send(leave('a'));
    const leaveB = send(leave('b'));
    const b = send(join('b'));
    expect(channel.acked).to.have.members([a, leaveA, leaveB, b]);
    expect(worker.intake.pool.size).to.equal(0);
  });

  it('ends a ticket at maxWaitSeconds: timeout in Redis, a timeout for the notifier, then the ack', async () => {
    const { channel, store, worker, send, timeoutsPublished } = setup();
    const a = send(join('a', 1500, NOW - 11_000));
    await worker.tick(NOW);
    expect(store.stateOf('a')).to.equal('timeout');
    expect(timeoutsPublished().map((entry) => entry.body)).to.deep.equal([{ v: 1, ticketId: 'a', playerId: 'p-a', mode: 'ffa3', region: 'eu' }]);
    expect(timeoutsPublished()[0]!.options).to.include({ messageId: 'timeout-a', type: 'timeout.v1' });
    expect(channel.acked).to.deep.equal([a]);
  });

  it('keeps a timeout the broker did not confirm and announces it next tick', async () => {
    const { channel, worker, send, timeoutsPublished } = setup();
    send(join('a', 1500, NOW - 11_000));
    channel.failPublishes = 1;
    await worker.tick(NOW);
    expect(worker.outbox.unannounced).to.have.length(1);
    expect(channel.acked).to.have.length(0);
    await worker.tick(NOW + 1000);
    expect(timeoutsPublished()).to.have.length(1);
    expect(channel.acked).to.have.length(1);
  });

  it('returns expiring tickets to the pool when Redis is away, and acks one that had already ended', async () => {
    const { channel, store, worker, send, timeoutsPublished } = setup();
    const a = send(join('a', 1500, NOW - 11_000));
    store.failNext.add('expire');
    await worker.tick(NOW);
    expect(worker.intake.pool.size).to.equal(1);
    store.set('a', 'cancelled');
    await worker.tick(NOW + 1000);
    expect(timeoutsPublished()).to.have.length(0);
    expect(channel.acked).to.deep.equal([a]);
  });

  it('settles redelivered joins by their state in Redis: re-announces a matched room once, the timeout again, admits the queued', async () => {
    const { channel, store, worker, send, roomsPublished, timeoutsPublished } = setup();
    store.set('m1', 'matched', 'old-room');
    store.set('m2', 'matched', 'old-room');
    store.rooms.set('old-room', JSON.stringify({ id: 'old-room' }));
    store.set('t', 'timeout');
    store.set('c', 'cancelled');
    store.set('q', 'queued');
    const settled = ['m1', 'm2', 't', 'c'].map((id) => send(join(id), true));
    send(join('q'), true);
    send(join('fresh'), true);
    expect(channel.acked).to.have.length(0);
    await worker.tick(NOW);
    expect(roomsPublished().map((entry) => entry.options.messageId)).to.deep.equal(['old-room']);
    expect(timeoutsPublished().map((entry) => (entry.body as { ticketId: string }).ticketId)).to.deep.equal(['t']);
    expect(channel.acked).to.have.members(settled);
    expect([...worker.intake.held.keys()].sort()).to.deep.equal(['fresh', 'q']);
  });

  it('keeps redelivered joins it could not settle for the next tick', async () => {
    const { channel, store, worker, send, roomsPublished } = setup();
    store.set('m', 'matched', 'r');
    store.rooms.set('r', '{"id":"r"}');
    const m = send(join('m'), true);
    store.failNext.add('states');
    await worker.tick(NOW);
    expect(worker.outbox.redelivered).to.have.length(1);
    channel.failPublishes = 1;
    await worker.tick(NOW + 1000);
    expect(worker.outbox.redelivered).to.have.length(1);
    await worker.tick(NOW + 2000);
    expect(roomsPublished()).to.have.length(1);
    expect(channel.acked).to.deep.equal([m]);
  });

  it('sends an unreadable request or one for another pool to the dead queue, with the reason', async () => {
    const { channel, send } = setup();
    const bad = send('{not json');
    const elsewhere = send({ ...join('x'), region: 'us' });
    await new Promise((resolve) => setImmediate(resolve));
    const dead = channel.published.filter((entry) => entry.routingKey === names.dead);
    expect(dead).to.have.length(2);
    expect(dead[1]!.options.headers!['x-matchq-reason']).to.equal('request for pool ffa3.us on ffa3.eu');
    expect(channel.acked).to.have.members([bad, elsewhere]);
  });

  it('hands the pool back: nacks every held and redelivered join, clears the outbox, and refuses later deliveries', async () => {
    const { channel, worker, send } = setup();
    const waiting = send(join('a'));
    const redelivered = send(join('b'), true);
    worker.release();
    expect(channel.nacked).to.have.members([waiting, redelivered]);
    expect(worker.intake.held.size).to.equal(0);
    expect(worker.outbox.size).to.equal(0);
    const late = send(join('c'));
    expect(channel.nacked).to.include(late);
    expect(worker.intake.pool.size).to.equal(0);
  });

  it('settles every delivery exactly once over a run of joins, leaves and ticks', async () => {
    const { channel, worker, send } = setup();
    const messages = [];
    for (let index = 0; index < 30; index++) {
      messages.push(send(join(`t${index}`, 1500 + (index % 7) * 40, NOW - index * 500)));
      if (index % 4 === 1) messages.push(send(leave(`t${index - 1}`)));
    }
    for (let at = 0; at < 15; at++) await worker.tick(NOW + at * 1000);
    expect(worker.intake.held.size).to.equal(0);
    const settled = channel.settled();
    expect(new Set(settled).size).to.equal(settled.length);
    expect(settled).to.have.members(messages);
  });
});
