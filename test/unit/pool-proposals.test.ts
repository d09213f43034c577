import { expect } from 'chai';
import { Registry } from 'prom-client';
import { createLogger } from '../../common/logger.js';
import type { RoomDissolved, RoomProposal } from '../../common/messages.js';
import { amqpNames } from '../../common/names.js';
import { createMatcherMetrics } from '../../services/matcher/metrics.js';
import { JOINS_WAIT_MS } from '../../services/matcher/pool-proposals.js';
import { PoolWorker } from '../../services/matcher/pool-worker.js';
import { delivery, FakeChannel, FakeProposals, FakeStore } from '../support/fake-pool-io.js';

const RULE = { teams: 1, teamSize: 3, window: { initial: 100, perSecond: 0, max: 100 }, maxWaitSeconds: 300, accept: { seconds: 10, cooldownSeconds: 30 } };
const names = amqpNames('unit');
const NOW = 1_000_000;

function join(ticketId: string, joinedAt = NOW - 5000) {
  return { v: 1, type: 'join', ticketId, playerId: `p-${ticketId}`, name: `n-${ticketId}`, rating: 1500, mode: 'ffa3', region: 'eu', joinedAt };
}

/** The real pool worker with a ready check, over the in-memory broker channel and Redis. */
function setup(shared?: { store: FakeStore; proposals: FakeProposals }) {
  const channel = new FakeChannel();
  const store = shared?.store ?? new FakeStore();
  const proposals = shared?.proposals ?? new FakeProposals(store);
  let ids = 0;
  const prefix = shared ? 'again' : 'room';
  const worker = new PoolWorker({
    mode: 'ffa3',
    region: 'eu',
    rule: RULE,
    channel,
    store,
    proposals,
    names,
    logger: createLogger('test', 'silent'),
    metrics: createMatcherMetrics(new Registry(), () => new Map()),
    clock: () => NOW,
    newId: () => `${prefix}-${++ids}`,
  });
  worker.owned = true;
  const send = (body: unknown, redelivered = false) => {
    const message = delivery(body, { redelivered });
    worker.receive(message, 1);
    return message;
  };
  const onNotifier = <T>(type: string) =>
    channel.published.filter((entry) => entry.routingKey === names.notifier && entry.options.type === type).map((entry) => entry.body as T);
  return {
    channel,
    store,
    proposals,
    worker,
    send,
    rooms: () => channel.published.filter((entry) => entry.exchange === names.rooms),
    found: () => onNotifier<RoomProposal>('proposal.v1'),
    dissolved: () => onNotifier<RoomDissolved>('dissolved.v1'),
    answer: (roomId: string, type: 'accept' | 'decline' | 'leave', ticket: string, now = NOW + 1000) =>
      proposals.step('ffa3', 'eu', roomId, type, now, `p-${ticket}`),
  };
}

describe('pool worker with a ready check (fake broker and Redis)', () => {
  it('proposes a formed room: tickets proposed in Redis, found announced with the deadline, nothing on the rooms exchange, nothing acked', async () => {
    const { channel, store, worker, send, rooms, found } = setup();
    ['a', 'b', 'c'].forEach((id) => send(join(id)));
    await worker.tick(NOW);
    expect(['a', 'b', 'c'].map((id) => store.stateOf(id))).to.deep.equal(['proposed', 'proposed', 'proposed']);
    expect(found()).to.have.length(1);
    expect(found()[0]).to.include({ roomId: 'room-1', deadline: NOW + 10_000, mode: 'ffa3', region: 'eu' });
    expect(
      found()[0]!
        .players.map((player) => player.name)
        .sort(),
    ).to.deep.equal(['n-a', 'n-b', 'n-c']);
    expect(rooms()).to.have.length(0);
    expect(channel.acked).to.have.length(0);
    expect(worker.intake.pool.size).to.equal(0);
    await worker.tick(NOW + 1000);
    expect(found()).to.have.length(1);
  });

  it('proposes a room whose propose call failed after Redis ran it again, same id: its tickets stay out of the pool and are proposed once', async () => {
    const { channel, store, proposals, worker, send, found } = setup();
    ['a', 'b', 'c'].forEach((id) => send(join(id)));
    proposals.failNextProposeAfterRunning = true;
    await worker.tick(NOW);
    expect(['a', 'b', 'c'].map((id) => store.stateOf(id))).to.deep.equal(['proposed', 'proposed', 'proposed']);
    expect(found()).to.have.length(0);
    // Another join meanwhile must not take a seat of the room Redis already holds.
    send(join('d'));
    await worker.tick(NOW + 1000);
    expect(found().map((proposal) => proposal.roomId)).to.deep.equal(['room-1']);
    expect(found()[0]!.deadline).to.equal(NOW + 1000 + RULE.accept.seconds * 1000);
    expect((await proposals.get('ffa3', 'eu', 'room-1'))?.deadline).to.equal(found()[0]!.deadline);
    expect(
      found()[0]!
        .players.map((player) => player.ticketId)
        .sort(),
    ).to.deep.equal(['a', 'b', 'c']);
    expect(channel.acked).to.have.length(0);
    expect(worker.intake.pool.size).to.equal(1);
    expect(worker.proposals!.pendingCount).to.equal(1);
  });

  it('publishes the room once every player accepted, same id, and acks its joins after the confirm', async () => {
    const { channel, worker, send, rooms, answer } = setup();
    const joins = ['a', 'b', 'c'].map((id) => send(join(id)));
    await worker.tick(NOW);
    for (const id of ['a', 'b']) expect((await answer('room-1', 'accept', id)).outcome).to.equal('ok');
    await worker.tick(NOW + 1000);
    expect(rooms()).to.have.length(0);
    expect((await answer('room-1', 'accept', 'c')).phase).to.equal('final');
    channel.failPublishes = 1;
    await worker.tick(NOW + 2000);
    expect(channel.acked).to.have.length(0);
    await worker.tick(NOW + 3000);
    expect(rooms().map((entry) => entry.options.messageId)).to.deep.equal(['room-1']);
    expect(channel.acked).to.have.members(joins);
    await worker.tick(NOW + 4000);
    expect(rooms()).to.have.length(1);
  });

  it('dissolves on a decline: the decliner ends, the others go back with their join time and are matched again', async () => {
    const { channel, store, worker, send, dissolved, found, answer } = setup();
    const [, b] = ['a', 'b', 'c'].map((id) => send(join(id)));
    await worker.tick(NOW);
    await answer('room-1', 'accept', 'a');
    await answer('room-1', 'decline', 'b');
    await worker.tick(NOW + 2000);
    expect(dissolved()).to.deep.equal([
      {
        v: 1,
        roomId: 'room-1',
        mode: 'ffa3',
        region: 'eu',
        reason: 'declined',
        players: ['a', 'b', 'c']
          .map((id) => ({ playerId: `p-${id}`, ticketId: id, outcome: id === 'b' ? 'left' : 'requeued' }))
          .sort((x, y) => found()[0]!.players.findIndex((p) => p.ticketId === x.ticketId) - found()[0]!.players.findIndex((p) => p.ticketId === y.ticketId)),
      },
    ]);
    expect(channel.acked).to.deep.equal([b]);
    expect(store.stateOf('b')).to.equal('declined');
    expect(worker.intake.pool.get('a')!.joinedAt).to.equal(NOW - 5000);
    expect(worker.intake.pool.size).to.equal(2);
    send(join('d'));
    await worker.tick(NOW + 3000);
    expect(found().map((proposal) => proposal.roomId)).to.deep.equal(['room-1', 'room-2']);
    expect(
      found()[1]!
        .players.map((player) => player.ticketId)
        .sort(),
    ).to.deep.equal(['a', 'c', 'd']);
  });

  it('dissolves at the deadline: the silent end (with a cooldown), those who accepted go back', async () => {
    const { channel, proposals, worker, send, dissolved, answer } = setup();
    const [, b, c] = ['a', 'b', 'c'].map((id) => send(join(id)));
    await worker.tick(NOW);
    await answer('room-1', 'accept', 'a');
    await worker.tick(NOW + 10_000);
    expect(dissolved()).to.have.length(0);
    await worker.tick(NOW + 10_001);
    expect(dissolved()[0]!.reason).to.equal('accept_timeout');
    expect(channel.acked).to.have.members([b, c]);
    expect([...proposals.cooldowns]).to.have.deep.members([
      ['p-b', 30_000],
      ['p-c', 30_000],
    ]);
    expect([...worker.intake.held.keys()]).to.deep.equal(['a']);
    expect(worker.intake.pool.has('a')).to.equal(true);
  });

  it('a new owner finishes the proposals: announces found again, holds the redelivered joins out of the pool, then publishes the final room', async () => {
    const first = setup();
    ['a', 'b', 'c'].forEach((id) => first.send(join(id)));
    await first.worker.tick(NOW);
    // The first owner dies here; its joins come back to the next owner flagged redelivered.
    const next = setup({ store: first.store, proposals: first.proposals });
    const joins = ['a', 'b', 'c'].map((id) => next.send(join(id), true));
    await next.worker.tick(NOW + 1000);
    expect(next.found().map((proposal) => proposal.roomId)).to.deep.equal(['room-1']);
    expect(next.worker.intake.held.size).to.equal(3);
    expect(next.worker.intake.pool.size).to.equal(0);
    for (const id of ['a', 'b', 'c']) await next.answer('room-1', 'accept', id, NOW + 1500);
    await next.worker.tick(NOW + 2000);
    expect(next.rooms().map((entry) => entry.options.messageId)).to.deep.equal(['room-1']);
    expect(next.channel.acked).to.have.members(joins);
  });

  it('a new owner holds a final room until its joins are redelivered, so the room goes on with them (a released room can put its tickets back)', async () => {
    const first = setup();
    ['a', 'b', 'c'].forEach((id) => first.send(join(id)));
    await first.worker.tick(NOW);
    for (const id of ['a', 'b', 'c']) await first.answer('room-1', 'accept', id, NOW + 500);
    // The first owner dies with the room final; the next one ticks before the broker redelivers the joins.
    const next = setup({ store: first.store, proposals: first.proposals });
    await next.worker.tick(NOW + 1000);
    expect(next.rooms(), 'nothing sent on without the joins').to.deep.equal([]);
    const joins = ['a', 'b', 'c'].map((id) => next.send(join(id), true));
    // The tick holds the redelivered joins (out of the pool), then sends the room on with them.
    await next.worker.tick(NOW + 1200);
    expect(next.rooms().map((entry) => entry.options.messageId)).to.deep.equal(['room-1']);
    expect(next.channel.acked).to.have.members(joins);
  });

  it('a new owner sends a final room on without joins that never come back, after JOINS_WAIT_MS', async () => {
    const first = setup();
    ['a', 'b', 'c'].forEach((id) => first.send(join(id)));
    await first.worker.tick(NOW);
    for (const id of ['a', 'b', 'c']) await first.answer('room-1', 'accept', id, NOW + 500);
    const next = setup({ store: first.store, proposals: first.proposals });
    await next.worker.tick(NOW + 1000);
    await next.worker.tick(NOW + 1000 + JOINS_WAIT_MS - 1);
    expect(next.rooms()).to.deep.equal([]);
    await next.worker.tick(NOW + 1000 + JOINS_WAIT_MS);
    expect(next.rooms().map((entry) => entry.options.messageId)).to.deep.equal(['room-1']);
  });

  it('a new owner that arrives after the deadline dissolves the proposal, and the requeued joins come back into its pool', async () => {
    const first = setup();
    ['a', 'b', 'c'].forEach((id) => first.send(join(id)));
    await first.worker.tick(NOW);
    await first.answer('room-1', 'accept', 'a');
    const next = setup({ store: first.store, proposals: first.proposals });
    await next.worker.tick(NOW + 11_000);
    expect(next.dissolved()[0]!.reason).to.equal('accept_timeout');
    const [a] = ['a', 'b', 'c'].map((id) => next.send(join(id), true));
    await next.worker.tick(NOW + 12_000);
    expect(next.worker.intake.pool.has('a')).to.equal(true);
    expect(next.channel.acked).to.have.length(2);
    expect(next.channel.acked).to.not.include(a);
  });

  it('acks the redelivered joins of a room its proposal already published, without publishing it again', async () => {
    const first = setup();
    ['a', 'b', 'c'].forEach((id) => first.send(join(id)));
    await first.worker.tick(NOW);
    for (const id of ['a', 'b', 'c']) await first.answer('room-1', 'accept', id);
    await first.worker.tick(NOW + 1000);
    expect(first.rooms()).to.have.length(1);
    const next = setup({ store: first.store, proposals: first.proposals });
    const joins = ['a', 'b', 'c'].map((id) => next.send(join(id), true));
    await next.worker.tick(NOW + 2000);
    expect(next.rooms()).to.have.length(0);
    expect(next.channel.acked).to.have.members(joins);
  });

  it("asks each member of a party for their own answer; one member's decline ends the party's ticket, the solo goes back", async () => {
    const { channel, store, worker, send, found, dissolved, answer } = setup();
    const party = send({
      ...join('duo'),
      playerId: 'p-m1',
      partyId: 'party-1',
      members: [
        { playerId: 'p-m1', name: 'm1', rating: 1500 },
        { playerId: 'p-m2', name: 'm2', rating: 1500 },
      ],
    });
    send(join('solo'));
    await worker.tick(NOW);
    expect(found()[0]!.players.map((player) => [player.playerId, player.ticketId])).to.have.deep.members([
      ['p-m1', 'duo'],
      ['p-m2', 'duo'],
      ['p-solo', 'solo'],
    ]);
    expect(store.stateOf('duo')).to.equal('proposed');
    expect((await answer('room-1', 'accept', 'm1')).accepted).to.equal(1);
    expect((await answer('room-1', 'accept', 'solo')).phase).to.equal('proposed');
    expect((await answer('room-1', 'decline', 'm2')).phase).to.equal('dissolved');
    await worker.tick(NOW + 2000);
    expect(dissolved()[0]!.players).to.have.deep.members([
      { playerId: 'p-m1', ticketId: 'duo', outcome: 'left' },
      { playerId: 'p-m2', ticketId: 'duo', outcome: 'left' },
      { playerId: 'p-solo', ticketId: 'solo', outcome: 'requeued' },
    ]);
    expect(channel.acked).to.deep.equal([party]);
    expect(worker.intake.pool.has('solo')).to.equal(true);
  });

  it('keeps a found announcement the broker refused for the next tick', async () => {
    const { channel, worker, send, found } = setup();
    ['a', 'b', 'c'].forEach((id) => send(join(id)));
    channel.failPublishes = 1;
    await worker.tick(NOW);
    expect(found()).to.have.length(0);
    await worker.tick(NOW + 1000);
    expect(found()).to.have.length(1);
  });

  it("ends, not requeues, a ticket whose player declined a proposal Redis lost before the matcher settled it (the gateway's leave says so)", async () => {
    const { channel, proposals, worker, send, answer, found } = setup();
    const [a] = ['a', 'b', 'c'].map((id) => send(join(id)));
    await worker.tick(NOW);
    // a declines: Redis dissolves the room and a's gateway says `left declined`, and sends the leave;
    // Redis restarts empty before the matcher settles the dissolved room.
    expect((await answer('room-1', 'decline', 'a')).phase).to.equal('dissolved');
    const leaveA = send({ v: 1, type: 'leave', ticketId: 'a', playerId: 'p-a', mode: 'ffa3', region: 'eu' });
    proposals.forgetAll();
    await worker.tick(NOW + 16_000);
    expect(
      found().map((proposal) => proposal.roomId),
      'a was told left declined: no room with it again',
    ).to.deep.equal(['room-1']);
    expect(worker.intake.pool.has('a')).to.equal(false);
    expect(channel.acked).to.have.members([a, leaveA]);
    expect(['b', 'c'].map((id) => worker.intake.pool.has(id))).to.deep.equal([true, true]);
    expect(worker.intake.held.has('a')).to.equal(false);
  });

  it('gives the tickets of a proposal Redis lost back to the pool a while after its deadline, and proposes them again', async () => {
    const { channel, proposals, worker, send, found } = setup();
    ['a', 'b', 'c'].forEach((id) => send(join(id)));
    await worker.tick(NOW);
    proposals.forgetAll();
    await worker.tick(NOW + 11_000);
    expect(found()).to.have.length(1);
    await worker.tick(NOW + 16_000);
    expect(found().map((proposal) => proposal.roomId)).to.deep.equal(['room-1', 'room-2']);
    expect(worker.intake.held.size).to.equal(3);
    expect(channel.acked).to.have.length(0);
    expect(worker.proposals!.pendingCount).to.equal(1);
  });
});
