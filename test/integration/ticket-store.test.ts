import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { createTicketStore, OUTCOME_TTL_SECONDS, type TicketStore } from '../../common/ticket-store.js';
import { dropNamespace, newNamespace, REDIS_URL } from '../support/namespace.js';

const POOL = { mode: 'ffa3', region: 'eu' };
const ticket = (playerId = randomUUID()) => ({ ticketId: randomUUID(), ...POOL, playerId, rating: 1500, joinedAt: Date.now() });

/** The ticket state machine's Redis side, race by race, against a real Redis. */
describe('ticket store (Lua scripts) against a real Redis', () => {
  let namespace: string;
  let redis: Redis;
  let store: TicketStore;

  beforeEach(() => {
    namespace = newNamespace();
    redis = new Redis(REDIS_URL);
    store = createTicketStore(redis, namespace);
  });
  afterEach(async () => {
    redis.disconnect();
    await dropNamespace(namespace, [POOL]);
  });

  it('lets only one of two racing joins of a player open a ticket', async () => {
    const playerId = randomUUID();
    const [first, second] = [ticket(playerId), ticket(playerId)];
    const opened = await Promise.all([store.open(first, null, 60), store.open(second, null, 60)]);
    expect(opened.filter(Boolean)).to.have.length(1);
    const winner = opened[0] ? first : second;
    const loser = opened[0] ? second : first;
    expect((await store.livePointer(playerId))?.ref.ticketId).to.equal(winner.ticketId);
    expect(await store.get(loser)).to.equal(null);
    expect(await store.get(winner)).to.deep.include({ state: 'queued', rating: 1500, delivered: false });
  });

  it('claims a room all or nothing: a cancelled ticket makes the whole claim fail and changes nobody', async () => {
    const tickets = [ticket(), ticket(), ticket()];
    for (const each of tickets) await store.open(each, null, 60);
    expect(await store.cancel(tickets[1]!)).to.equal('cancelled');
    const [lost] = await store.claimRooms([{ ...POOL, roomId: 'r1', ticketIds: tickets.map((each) => each.ticketId), json: '{}' }]);
    expect(lost).to.deep.equal([1]);
    expect(
      (
        await store.states(
          POOL.mode,
          POOL.region,
          tickets.map((each) => each.ticketId),
        )
      ).map((each) => each.state),
    ).to.deep.equal(['queued', 'cancelled', 'queued']);
    expect(await store.room(POOL.mode, POOL.region, 'r1')).to.equal(null);
  });

  it('tells a leave that lost to the room which state won', async () => {
    const tickets = [ticket(), ticket(), ticket()];
    for (const each of tickets) await store.open(each, null, 60);
    const [lost] = await store.claimRooms([{ ...POOL, roomId: 'r2', ticketIds: tickets.map((each) => each.ticketId), json: '{"id":"r2"}' }]);
    expect(lost).to.deep.equal([]);
    expect(await store.cancel(tickets[0]!)).to.equal('matched');
    expect(await store.get(tickets[0]!)).to.deep.include({ state: 'matched', roomId: 'r2' });
    expect(await store.room(POOL.mode, POOL.region, 'r2')).to.equal('{"id":"r2"}');
  });

  it('times out only tickets still queued', async () => {
    const [waiting, gone] = [ticket(), ticket()];
    await store.open(waiting, null, 60);
    await store.open(gone, null, 60);
    await store.cancel(gone);
    expect(await store.expire(POOL.mode, POOL.region, [waiting.ticketId, gone.ticketId])).to.deep.equal([true, false]);
    expect((await store.get(waiting))?.state).to.equal('timeout');
  });

  it('marks an outcome delivered once, and gives a hash Redis had lost a TTL', async () => {
    const known = ticket();
    await store.open(known, null, 60);
    expect([await store.markDelivered(known), await store.markDelivered(known)]).to.deep.equal([true, false]);
    const lostToRestart = ticket();
    expect(await store.markDelivered(lostToRestart)).to.equal(true);
    const ttl = await redis.ttl(store.keys.ticket(POOL.mode, POOL.region, lostToRestart.ticketId));
    expect(ttl).to.be.greaterThan(0).and.at.most(OUTCOME_TTL_SECONDS);
  });

  it('writes back a live ticket after Redis lost it, but never revives one that ended', async () => {
    const live = ticket();
    await store.restore(live, 60);
    expect(await store.get(live)).to.deep.include({ state: 'queued', playerId: live.playerId });
    expect((await store.livePointer(live.playerId))?.ref.ticketId).to.equal(live.ticketId);
    const ended = ticket();
    await store.open(ended, null, 60);
    await store.cancel(ended);
    await store.restore(ended, 60);
    expect((await store.get(ended))?.state).to.equal('cancelled');
  });

  it('finds the gateway of each player, null for one with none', async () => {
    const [here, nowhere] = [randomUUID(), randomUUID()];
    expect(await store.setGateway(here, 'gw-a', 'c1')).to.equal(null);
    expect(await store.setGateway(here, 'gw-b', 'c2')).to.deep.equal({ gatewayId: 'gw-a', connectionId: 'c1' });
    expect(await store.gatewaysOf([here, nowhere])).to.deep.equal(['gw-b', null]);
  });
});
