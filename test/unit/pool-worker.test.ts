import { expect } from 'chai';
import { Registry } from 'prom-client';
import { createLogger } from '../../common/logger.js';
import { amqpNames } from '../../common/names.js';
import { createMatcherMetrics } from '../../services/matcher/metrics.js';
import { RECLAIM_WINDOW_MS } from '../../common/room-claims.js';
import { CLAIMS_IN_FLIGHT, EPOCH_CHECK_MS, PoolWorker, ROOMS_PER_STEP, STEPS_UNCONFIRMED } from '../../services/matcher/pool-worker.js';
import { delivery, FakeChannel, FakeStore } from '../support/fake-pool-io.js';

const RULE = { teams: 1, teamSize: 3, window: { initial: 100, perSecond: 0, max: 100 }, maxWaitSeconds: 10 };
const names = amqpNames('unit');
const NOW = 1_000_000;

function join(ticketId: string, rating = 1500, joinedAt = NOW) {
  return { v: 1, type: 'join', ticketId, playerId: `p-${ticketId}`, name: `n-${ticketId}`, rating, mode: 'ffa3', region: 'eu', joinedAt };
}
const leave = (ticketId: string) => ({ v: 1, type: 'leave', ticketId, playerId: `p-${ticketId}`, mode: 'ffa3', region: 'eu' });

/** The real pool worker over the in-memory channel and store. */
function setup({ allocation = false, requeueToPass = false } = {}) {
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
    allocation,
    requeueToPass,
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
  it('takes back a join it requeued to pass: the ticket stays where it was, held once, and the join it stands on now is the one acked', async () => {
    const { channel, worker, send } = setup({ requeueToPass: true });
    const first = send(join('a'));
    expect(worker.mayRequeue(first)).to.equal(true);
    worker.requeued(first);
    expect(worker.mayRequeue(first), 'requeued: no longer held on that delivery').to.equal(false);
    const again = send(join('a'), true);
    expect(worker.intake.held.get('a')!.message).to.equal(again);
    expect(worker.intake.pool.size).to.equal(1);
    expect(worker.outbox.redelivered, 'not settled against Redis as a redelivery').to.have.length(0);
    expect(channel.acked).to.have.length(0);
    const partners = ['b', 'c'].map((id) => send(join(id)));
    await worker.tick(NOW);
    expect(channel.acked).to.have.members([again, ...partners]);
    expect(worker.intake.held.size).to.equal(0);
  });

  it('acks a join it requeued to pass that comes again after its ticket ended (a leave meanwhile)', () => {
    const { channel, worker, send } = setup({ requeueToPass: true });
    const first = send(join('a'));
    worker.requeued(first);
    send(leave('a'));
    expect(worker.intake.held.size).to.equal(0);
    const again = send(join('a'), true);
    expect(channel.acked).to.include(again);
    expect(worker.intake.held.size, 'not taken for a new ticket').to.equal(0);
    expect(worker.intake.pool.size).to.equal(0);
  });

  it('requeues nothing to pass on a queue where a requeue counts (quorum: requeueToPass off)', () => {
    const { worker, send } = setup();
    expect(worker.mayRequeue(send(join('a')))).to.equal(false);
  });

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

  it('keeps a room it could not claim, acks nothing, and claims the same room (same id) next tick', async () => {
    const { channel, store, worker, send, roomsPublished } = setup();
    ['a', 'b', 'c'].forEach((id) => send(join(id)));
    store.failNext.add('claimRooms');
    await worker.tick(NOW);
    expect(roomsPublished()).to.have.length(0);
    expect(worker.outbox.unclaimed).to.have.length(1);
    expect(channel.acked).to.have.length(0);
    await worker.tick(NOW + 1000);
    expect(roomsPublished().map((entry) => entry.options.messageId)).to.deep.equal(['room-1']);
    expect(channel.acked).to.have.length(3);
    expect(worker.outbox.size).to.equal(0);
  });

  it('publishes a room whose claim call failed after Redis ran it: the tickets Redis holds matched to it are told, not dropped', async () => {
    const { channel, store, worker, send, roomsPublished } = setup();
    ['a', 'b', 'c'].forEach((id) => send(join(id)));
    store.failNextClaimAfterRunning = true;
    await worker.tick(NOW);
    expect(store.stateOf('a')).to.equal('matched');
    expect(roomsPublished()).to.have.length(0);
    // Another join meanwhile must not take a seat of the room Redis already holds.
    send(join('d'));
    await worker.tick(NOW + 1000);
    const published = roomsPublished();
    expect(published.map((entry) => entry.options.messageId)).to.deep.equal(['room-1']);
    expect((published[0]!.body as { players: { ticketId: string }[] }).players.map((player) => player.ticketId).sort()).to.deep.equal(['a', 'b', 'c']);
    expect(channel.acked).to.have.length(3);
    expect(worker.intake.pool.size).to.equal(1);
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
    store.rooms.set('old-room', JSON.stringify({ id: 'old-room', players: [{ ticketId: 'm1' }, { ticketId: 'm2' }] }));
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
    store.rooms.set('r', JSON.stringify({ id: 'r', players: [{ ticketId: 'm' }] }));
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

  it('keeps a join the allocator sent back while its room is still unconfirmed until the room lets the ticket go, then admits it', async () => {
    const { channel, store, worker, send } = setup({ allocation: true });
    const [a] = ['a', 'b', 'c'].map((id) => send(join(id)));
    // The room reaches the allocation queue, but its confirm is a nack: the room waits to be published again, its joins held.
    channel.holdConfirms = true;
    const tick = worker.tick(NOW);
    await new Promise((resolve) => setImmediate(resolve));
    channel.confirm(1, new Error('nacked'));
    await tick;
    expect(worker.outbox.unpublished).to.have.length(1);
    // The allocator got the room all the same, found no server, put `a` back in Redis and its join back in the pool's queue.
    store.set('a', 'queued');
    const requeued = send(join('a'));
    channel.holdConfirms = false;
    await worker.tick(NOW + 1000);
    expect(channel.acked, 'the requeued join is not taken for a copy of the one the room held').to.not.include(requeued);
    expect(channel.acked).to.include(a);
    await worker.tick(NOW + 2000);
    expect(worker.intake.pool.has('a'), 'the ticket waits in the pool again').to.equal(true);
    expect(channel.acked).to.not.include(requeued);
    expect(worker.intake.held.get('a')?.message).to.equal(requeued);
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

describe('pool worker after Redis lost its data (fake broker and Redis)', () => {
  const roomOf = (store: FakeStore, ticketId: string) => store.tickets.get(ticketId)?.roomId;

  it('claims the rooms it sent again once the epoch changes, so the notifier can deliver them', async () => {
    const { store, worker, send, roomsPublished } = setup();
    ['a', 'b', 'c'].forEach((id) => send(join(id)));
    await worker.tick(NOW);
    expect(roomsPublished()).to.have.length(1);
    const json = store.rooms.get('room-1');
    store.loseEverything();
    await worker.tick(NOW + EPOCH_CHECK_MS);
    expect(['a', 'b', 'c'].map((id) => [store.stateOf(id), roomOf(store, id)])).to.deep.equal([
      ['matched', 'room-1'],
      ['matched', 'room-1'],
      ['matched', 'room-1'],
    ]);
    expect(store.rooms.get('room-1')).to.equal(json);
    expect(roomsPublished(), 'the room is not published twice').to.have.length(1);
  });

  it('reads the epoch at most once per EPOCH_CHECK_MS, and claims nothing again while it stays', async () => {
    const { store, worker, send } = setup();
    ['a', 'b', 'c'].forEach((id) => send(join(id)));
    await worker.tick(NOW);
    const epoch = store.epochValue;
    expect(epoch).to.be.a('string');
    store.loseEverything();
    await worker.tick(NOW + EPOCH_CHECK_MS - 1);
    expect(store.stateOf('a'), 'not checked yet').to.equal(undefined);
    await worker.tick(NOW + EPOCH_CHECK_MS);
    expect(store.stateOf('a')).to.equal('matched');
    expect(store.epochValue).to.not.equal(epoch);
    store.set('a', 'queued');
    await worker.tick(NOW + 2 * EPOCH_CHECK_MS);
    expect(store.stateOf('a'), 'the same epoch: no claim again').to.equal('queued');
  });

  it('sends the other tickets of a room it cannot claim again back to the pool, with their joins as they came', async () => {
    const { channel, store, worker, send } = setup();
    ['a', 'b', 'c'].forEach((id) => send(join(id, 1500, NOW - 4000)));
    await worker.tick(NOW);
    store.loseEverything();
    // The gateway wrote the tickets back as queued; then a's player left.
    store.set('b', 'queued');
    store.set('a', 'cancelled');
    await worker.tick(NOW + EPOCH_CHECK_MS);
    const requeued = channel.published.filter((entry) => entry.exchange === names.requests);
    expect(requeued.map((entry) => [entry.routingKey, entry.options.messageId])).to.have.deep.members([
      ['ffa3.eu', 'reclaim-room-1-b'],
      ['ffa3.eu', 'reclaim-room-1-c'],
    ]);
    expect(requeued.map((entry) => entry.body)).to.have.deep.members([join('b', 1500, NOW - 4000), join('c', 1500, NOW - 4000)]);
    expect(store.stateOf('b'), 'nothing claimed').to.equal('queued');
  });

  it('ends the timeouts it announced again, so the notifier can route them', async () => {
    const { store, worker, send, timeoutsPublished } = setup();
    send(join('t', 1500, NOW - RULE.maxWaitSeconds * 1000 - 1));
    await worker.tick(NOW);
    expect(timeoutsPublished()).to.have.length(1);
    store.loseEverything();
    store.set('x', 'queued');
    await worker.tick(NOW + EPOCH_CHECK_MS);
    expect(store.stateOf('t')).to.equal('timeout');
    expect(timeoutsPublished(), 'not announced twice').to.have.length(1);
  });

  it('forgets rooms older than RECLAIM_WINDOW_MS', async () => {
    const { store, worker, send } = setup();
    ['a', 'b', 'c'].forEach((id) => send(join(id)));
    await worker.tick(NOW);
    await worker.tick(NOW + RECLAIM_WINDOW_MS + EPOCH_CHECK_MS);
    store.loseEverything();
    await worker.tick(NOW + RECLAIM_WINDOW_MS + 2 * EPOCH_CHECK_MS);
    expect(store.stateOf('a')).to.equal(undefined);
  });

  it('claims no new room before the rooms it sent are claimed again: a claim under the old epoch is refused, the epoch read at once', async () => {
    const { channel, store, worker, send, roomsPublished } = setup();
    ['a', 'b', 'c'].forEach((id) => send(join(id)));
    await worker.tick(NOW);
    expect(roomsPublished()).to.have.length(1);
    // Redis restarts empty and a gateway dates the pool's new epoch; the broker link drops and the
    // room's joins come again (their acks were lost with it), before the matcher's next epoch check.
    store.loseEverything();
    store.epochValue = 'gateway-epoch 2000';
    worker.reset();
    const again = ['a', 'b', 'c'].map((id) => send(join(id), true));
    await worker.tick(NOW + EPOCH_CHECK_MS / 2);
    expect(roomsPublished(), 'no second room of the same tickets').to.have.length(1);
    expect(store.stateOf('a')).to.equal(undefined);
    await worker.tick(NOW + EPOCH_CHECK_MS / 2 + 1);
    expect(['a', 'b', 'c'].map((id) => [store.stateOf(id), roomOf(store, id)])).to.deep.equal(['a', 'b', 'c'].map(() => ['matched', 'room-1']));
    expect(roomsPublished()).to.have.length(1);
    expect(channel.acked).to.include.members(again);
    expect(worker.intake.held.size).to.equal(0);
  });

  it('never claims again a room the allocator released: its joins came back, and their next room is the one claimed again', async () => {
    const { store, worker, send } = setup({ allocation: true });
    ['a', 'b', 'c'].forEach((id) => send(join(id)));
    await worker.tick(NOW);
    // No server for room-1: the allocator puts its tickets back in Redis and their joins back in the pool's queue.
    for (const id of ['a', 'b', 'c']) store.set(id, 'queued');
    ['a', 'b', 'c'].forEach((id) => send(join(id)));
    await worker.tick(NOW + 100);
    expect(roomOf(store, 'a')).to.equal('room-2');
    store.loseEverything();
    await worker.tick(NOW + EPOCH_CHECK_MS);
    expect(['a', 'b', 'c'].map((id) => [store.stateOf(id), roomOf(store, id)])).to.deep.equal(['a', 'b', 'c'].map(() => ['matched', 'room-2']));
  });

  it('never claims again a room the allocator released after Redis lost it, nor sends its tickets back a second time', async () => {
    const { channel, store, worker, send } = setup({ allocation: true });
    ['a', 'b', 'c'].forEach((id) => send(join(id)));
    await worker.tick(NOW);
    store.loseEverything();
    // The fleet refused room-1 on the new Redis: its allocation record says dissolved; its joins are on their way back.
    store.released.add('room-1');
    await worker.tick(NOW + EPOCH_CHECK_MS);
    expect(['a', 'b', 'c'].map((id) => store.stateOf(id))).to.deep.equal([undefined, undefined, undefined]);
    expect(channel.published.filter((entry) => entry.exchange === names.requests)).to.deep.equal([]);
  });

  it('claims again at the next check when Redis fails during the first', async () => {
    const { store, worker, send } = setup();
    ['a', 'b', 'c'].forEach((id) => send(join(id)));
    await worker.tick(NOW);
    store.loseEverything();
    store.failNext.add('claimRooms');
    await worker.tick(NOW + EPOCH_CHECK_MS);
    expect(store.stateOf('a')).to.equal(undefined);
    await worker.tick(NOW + 2 * EPOCH_CHECK_MS);
    expect(store.stateOf('a')).to.equal('matched');
  });
});

describe('pool worker, a tick of a huge pool (fake broker and a slow Redis)', () => {
  it('keeps at most CLAIMS_IN_FLIGHT claim calls waiting on Redis, sends the next as each is answered, and claims and publishes every room once', async () => {
    const rooms = (CLAIMS_IN_FLIGHT + 4) * ROOMS_PER_STEP;
    const ids = Array.from({ length: 3 * rooms }, (_, index) => `h${index}`);
    const { store, worker, send, roomsPublished } = setup();
    ids.forEach((id) => send(join(id)));
    let open!: () => void;
    store.claimGate = new Promise<void>((resolve) => (open = resolve));
    const tick = worker.tick(NOW);
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.claimsInFlight, 'the first window, waiting').to.equal(CLAIMS_IN_FLIGHT);
    store.claimGate = undefined;
    open();
    await tick;
    expect(store.maxClaimsInFlight).to.equal(CLAIMS_IN_FLIGHT);
    expect(store.claimCalls).to.have.length(rooms / ROOMS_PER_STEP);
    expect(roomsPublished()).to.have.length(rooms);
    expect(new Set(roomsPublished().map((entry) => entry.options.messageId)).size).to.equal(rooms);
  });
});

describe('pool worker, a tick of many rooms (fake broker and Redis)', () => {
  // One step more than may wait for confirms at once, the last one short.
  const ROOMS = STEPS_UNCONFIRMED * ROOMS_PER_STEP + 10;
  const STEPS = STEPS_UNCONFIRMED + 1;
  const ids = Array.from({ length: 3 * ROOMS }, (_, index) => `t${index}`);
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  type RoomBody = { id: string; players: { ticketId: string }[] };

  /** Confirms whatever is on the wire, turn after turn, until `work` ends. */
  async function confirmUntilDone(channel: FakeChannel, work: Promise<void>): Promise<void> {
    let done = false;
    void work.then(() => (done = true));
    while (!done) {
      await turn();
      channel.confirm();
    }
    await work;
  }

  /** Room id by ticket, from every published room: a ticket in two different rooms fails. */
  function seatsOf(published: { body: unknown }[]): Map<string, string> {
    const seats = new Map<string, string>();
    for (const { body } of published) {
      const room = body as RoomBody;
      for (const { ticketId } of room.players) {
        expect(seats.get(ticketId) ?? room.id, `${ticketId} in one room`).to.equal(room.id);
        seats.set(ticketId, room.id);
      }
    }
    return seats;
  }

  it('claims every step, keeps STEPS_UNCONFIRMED steps unconfirmed at most, and acks a join only after its room is confirmed', async () => {
    const { channel, store, worker, send, roomsPublished } = setup();
    const joins = ids.map((id) => send(join(id)));
    channel.holdConfirms = true;
    const tick = worker.tick(NOW);
    await turn();
    const calls = [...Array.from({ length: STEPS - 1 }, () => ROOMS_PER_STEP), 10];
    expect(store.claimCalls, 'every step claimed, one call each').to.deep.equal(calls);
    expect(channel.unconfirmed, 'the last step waits for the first one’s confirms').to.have.length(STEPS_UNCONFIRMED * ROOMS_PER_STEP);
    expect(channel.acked, 'nothing confirmed yet').to.have.length(0);
    channel.confirm(ROOMS_PER_STEP - 1);
    await turn();
    expect(channel.acked, 'a step is acked when all its rooms are confirmed').to.have.length(0);
    expect(channel.unconfirmed).to.have.length((STEPS_UNCONFIRMED - 1) * ROOMS_PER_STEP + 1);
    channel.confirm(1);
    await turn();
    expect(channel.acked).to.have.length(3 * ROOMS_PER_STEP);
    const confirmedSeats = seatsOf(roomsPublished());
    expect(channel.acked.map((message) => (JSON.parse(message.content.toString()) as { ticketId: string }).ticketId).sort()).to.deep.equal(
      [...confirmedSeats.keys()].sort(),
    );
    expect(channel.unconfirmed, 'the other steps and the last one on the wire').to.have.length((STEPS_UNCONFIRMED - 1) * ROOMS_PER_STEP + 10);
    await confirmUntilDone(channel, tick);
    expect(roomsPublished()).to.have.length(ROOMS);
    expect(new Set(roomsPublished().map((entry) => entry.options.messageId)).size).to.equal(ROOMS);
    expect([...seatsOf(roomsPublished()).keys()].sort()).to.deep.equal([...ids].sort());
    expect(channel.acked).to.have.members(joins);
    expect(new Set(channel.acked).size, 'each join acked once').to.equal(joins.length);
    expect(ids.every((id) => store.stateOf(id) === 'matched')).to.equal(true);
    expect(worker.intake.held.size).to.equal(0);
  });

  it('keeps the joins of a room the broker nacked unacked, and publishes that room again, same id, next tick', async () => {
    const { channel, worker, send, roomsPublished } = setup();
    const joins = ids.map((id) => send(join(id)));
    channel.holdConfirms = true;
    const tick = worker.tick(NOW);
    await turn();
    channel.confirm(1, new Error('nacked'));
    await confirmUntilDone(channel, tick);
    expect(roomsPublished()).to.have.length(ROOMS - 1);
    expect(worker.outbox.unpublished).to.have.length(1);
    const [nacked] = worker.outbox.unpublished;
    const unackedIds = nacked!.event.players.map((player) => player.ticketId);
    expect(channel.acked).to.have.length(joins.length - 3);
    expect(channel.acked.some((message) => unackedIds.includes((JSON.parse(message.content.toString()) as { ticketId: string }).ticketId))).to.equal(false);
    channel.holdConfirms = false;
    await worker.tick(NOW + 1000);
    expect(roomsPublished().at(-1)!.options.messageId).to.equal(nacked!.event.id);
    expect(roomsPublished()).to.have.length(ROOMS);
    expect([...seatsOf(roomsPublished()).keys()].sort()).to.deep.equal([...ids].sort());
    expect(channel.acked).to.have.members(joins);
    expect(new Set(channel.acked).size).to.equal(joins.length);
  });

  it('claims every step of a tick at once; a step whose call failed waits whole, out of the pool, and is claimed again as it was, while the others are published and acked', async () => {
    const { channel, store, worker, send, roomsPublished } = setup();
    const joins = ids.map((id) => send(join(id)));
    store.failClaimAfter = 1;
    await worker.tick(NOW);
    const steps = Array.from({ length: Math.ceil(ROOMS / ROOMS_PER_STEP) }, (_, index) => Math.min(ROOMS_PER_STEP, ROOMS - index * ROOMS_PER_STEP));
    expect(store.claimCalls).to.deep.equal(steps);
    expect(roomsPublished()).to.have.length(ROOMS - ROOMS_PER_STEP);
    expect(channel.acked).to.have.length(3 * (ROOMS - ROOMS_PER_STEP));
    expect(worker.outbox.unclaimed.map((entry) => entry.rooms.length)).to.deep.equal([ROOMS_PER_STEP]);
    // A failed call may have run in Redis: its rooms keep their ids and tickets, none back in the pool.
    expect(worker.intake.pool.size).to.equal(ids.length - 3 * ROOMS);
    expect(ids.filter((id) => store.stateOf(id) === 'matched')).to.have.length(3 * (ROOMS - ROOMS_PER_STEP));
    await worker.tick(NOW + 1000);
    expect(roomsPublished()).to.have.length(ROOMS);
    expect([...seatsOf(roomsPublished()).keys()].sort()).to.deep.equal([...ids].sort());
    expect(channel.acked).to.have.members(joins);
    expect(new Set(channel.acked).size).to.equal(joins.length);
  });

  it('loses the broker mid-tick: every join comes back redelivered, and each ticket ends in the one room it was claimed for', async () => {
    const { channel, store, worker, send, roomsPublished } = setup();
    ids.forEach((id) => send(join(id)));
    channel.holdConfirms = true;
    const tick = worker.tick(NOW);
    await turn();
    // The channel closes: the publishes on the wire fail, and so does every one after them.
    let away = true;
    void (async () => {
      while (away) {
        channel.confirm(undefined, new Error('channel closed'));
        await turn();
      }
    })();
    await tick;
    away = false;
    expect(roomsPublished()).to.have.length(0);
    expect(channel.acked).to.have.length(0);
    const claimedRooms = new Set(ids.map((id) => store.tickets.get(id)?.roomId));
    // The channel reopens: the pool starts empty and the broker redelivers every unacked join.
    worker.reset();
    channel.holdConfirms = false;
    const redelivered = ids.map((id) => send(join(id), true));
    await worker.tick(NOW + 1000);
    expect(new Set(roomsPublished().map((entry) => entry.options.messageId)), 'no room but those claimed').to.deep.equal(claimedRooms);
    const seats = seatsOf(roomsPublished());
    expect(ids.every((id) => seats.get(id) === store.tickets.get(id)?.roomId)).to.equal(true);
    expect(channel.acked).to.have.members(redelivered);
    expect(new Set(channel.acked).size).to.equal(redelivered.length);
    expect(worker.intake.held.size).to.equal(0);
  });
});
