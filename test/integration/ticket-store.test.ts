import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { redisKeys } from '../../common/names.js';
import { createAllocationStore } from '../../common/allocation-store.js';
import { CLAIM_ROOMS_PER_CALL, createTicketStore, EpochChanged, OUTCOME_TTL_SECONDS, type RoomClaim, type TicketStore } from '../../common/ticket-store.js';
import { dropNamespace, newNamespace, REDIS_URL } from '../support/namespace.js';
import { eventually } from '../support/broker.js';
import { watchRedis } from '../support/redis-monitor.js';

const POOL = { mode: 'ffa3', region: 'eu' };
const OTHER_POOL = { mode: 'duo', region: 'eu' };
/** The pools' Redis epoch as the claims in these tests last read it. */
const EPOCH = 'epoch-1 1000';
const ticket = (playerId = randomUUID()) => ({ ticketId: randomUUID(), ...POOL, playerId, rating: 1500, joinedAt: Date.now() });

/** The ticket state machine's Redis side, race by race, against a real Redis. */
describe('ticket store (Lua scripts) against a real Redis', () => {
  let namespace: string;
  let redis: Redis;
  let store: TicketStore;

  beforeEach(async () => {
    namespace = newNamespace();
    redis = new Redis(REDIS_URL);
    store = createTicketStore(redis, redisKeys(namespace));
    for (const pool of [POOL, OTHER_POOL]) await redis.set(store.keys.poolEpoch(pool.mode, pool.region), EPOCH);
  });
  const claim = (rooms: RoomClaim[]) => store.claimRooms(rooms, EPOCH);
  /** The script calls (EVAL, EVALSHA) a client sends on this namespace's keys, as Redis's MONITOR sees them. */
  const watchScriptCalls = async () => {
    const calls: string[][] = [];
    const prefix = `${namespace}:`;
    const monitor = await watchRedis((args, source) => {
      if (source !== 'lua' && ['eval', 'evalsha'].includes(args[0]!.toLowerCase()) && args.some((arg) => arg.startsWith(prefix))) calls.push(args);
    });
    return { calls, monitor };
  };
  afterEach(async () => {
    redis.disconnect();
    await dropNamespace(namespace, [POOL, OTHER_POOL]);
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
    const [lost] = await claim([{ ...POOL, roomId: 'r1', ticketIds: tickets.map((each) => each.ticketId), json: '{}' }]);
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
    const [lost] = await claim([{ ...POOL, roomId: 'r2', ticketIds: tickets.map((each) => each.ticketId), json: '{"id":"r2"}' }]);
    expect(lost).to.deep.equal([]);
    expect(await store.cancel(tickets[0]!)).to.equal('matched');
    expect(await store.get(tickets[0]!)).to.deep.include({ state: 'matched', roomId: 'r2' });
    expect(await store.room(POOL.mode, POOL.region, 'r2')).to.equal('{"id":"r2"}');
  });

  it('claims a room again, as after Redis lost it: tickets lost or already matched to it count as claimed, one matched elsewhere does not', async () => {
    const tickets = [ticket(), ticket(), ticket()];
    const ids = tickets.map((each) => each.ticketId);
    for (const each of tickets) await store.open(each, null, 60);
    expect(await claim([{ ...POOL, roomId: 'r3', ticketIds: ids, json: '{"id":"r3"}' }])).to.deep.equal([[]]);
    // Redis lost the first ticket and the room; the others still say r3.
    await redis.del(store.keys.ticket(POOL.mode, POOL.region, ids[0]!), store.keys.room(POOL.mode, POOL.region, 'r3'));
    expect(await claim([{ ...POOL, roomId: 'r3', ticketIds: ids, json: '{"id":"r3"}' }])).to.deep.equal([[]]);
    expect((await store.states(POOL.mode, POOL.region, ids)).map((each) => each.roomId)).to.deep.equal(['r3', 'r3', 'r3']);
    expect(await store.room(POOL.mode, POOL.region, 'r3')).to.equal('{"id":"r3"}');
    expect(await claim([{ ...POOL, roomId: 'r4', ticketIds: ids, json: '{"id":"r4"}' }])).to.deep.equal([[0, 1, 2]]);
  });

  it("claims nothing under an epoch that is not the pool's (Redis lost its data since the matcher read it), nor with no epoch at all", async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await redis.hset(store.keys.ticket(POOL.mode, POOL.region, ids[0]!), 'state', 'queued');
    const room = { ...POOL, roomId: 'r5', ticketIds: ids, json: '{"id":"r5"}' };
    let refused: unknown;
    await store.claimRooms([room], 'epoch-0 500').catch((error: unknown) => (refused = error));
    expect(refused).to.be.instanceOf(EpochChanged);
    await redis.del(store.keys.poolEpoch(POOL.mode, POOL.region));
    refused = undefined;
    await claim([room]).catch((error: unknown) => (refused = error));
    expect(refused, 'the epoch key lost with the rest').to.be.instanceOf(EpochChanged);
    expect((await store.states(POOL.mode, POOL.region, ids)).map((each) => each.state)).to.deep.equal(['queued', null, null]);
    expect(await store.room(POOL.mode, POOL.region, 'r5')).to.equal(null);
    await redis.set(store.keys.poolEpoch(POOL.mode, POOL.region), EPOCH);
    expect(await claim([room])).to.deep.equal([[]]);
  });

  it('never claims again a room the allocator released after Redis lost it: every ticket counts as lost, none is matched to it', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const room = { ...POOL, roomId: randomUUID(), ticketIds: ids, json: '{}' };
    expect(await claim([room])).to.deep.equal([[]]);
    // Redis restarts empty; a gateway writes one ticket back as queued; the fleet refuses the room.
    for (const id of ids) await redis.del(store.keys.ticket(POOL.mode, POOL.region, id));
    await redis.hset(store.keys.ticket(POOL.mode, POOL.region, ids[1]!), 'state', 'queued');
    const released = await createAllocationStore(redis, redisKeys(namespace)).fail({ ...POOL, roomId: room.roomId, ticketIds: ids }, 1, 'rejected');
    expect(released.action).to.equal('dissolved');
    expect(await claim([room]), "the matcher's re-claim").to.deep.equal([[0, 1, 2]]);
    expect((await store.states(POOL.mode, POOL.region, ids)).map((each) => each.state)).to.deep.equal([null, 'queued', null]);
    expect(await store.room(POOL.mode, POOL.region, room.roomId)).to.equal(null);
  });

  it('claims a batch of rooms of two pools in script calls of CLAIM_ROOMS_PER_CALL, each room all or nothing, in order', async () => {
    // Rooms of two to four tickets; in the pool, more rooms than two calls take, then the other pool's.
    const rooms = [
      ...Array.from({ length: 2 * CLAIM_ROOMS_PER_CALL + 7 }, (_, index) => ({ ...POOL, size: 2 + (index % 3) })),
      ...Array.from({ length: 5 }, () => ({ ...OTHER_POOL, size: 4 })),
    ].map(({ size, ...pool }, index) => ({
      ...pool,
      roomId: `room-${index}`,
      ticketIds: Array.from({ length: size }, () => randomUUID()),
      json: `{"n":${index}}`,
    }));
    // Room 3's second ticket was cancelled; room 60 (the second call) holds a ticket matched elsewhere;
    // room 101 (the third call) takes a ticket of room 100 too, which wins it first.
    await redis.hset(store.keys.ticket(POOL.mode, POOL.region, rooms[3]!.ticketIds[1]!), 'state', 'cancelled');
    await redis.hset(store.keys.ticket(POOL.mode, POOL.region, rooms[60]!.ticketIds[0]!), { state: 'matched', room: 'elsewhere' });
    rooms[101]!.ticketIds[2] = rooms[100]!.ticketIds[0]!;
    const lost = await claim(rooms);
    const expected = rooms.map(() => [] as number[]);
    expected[3] = [1];
    expected[60] = [0];
    expected[101] = [2];
    expect(lost).to.deep.equal(expected);
    for (const [index, room] of rooms.entries()) {
      const states = await store.states(room.mode, room.region, room.ticketIds);
      const claimed = expected[index]!.length === 0;
      if (claimed) expect(states, room.roomId).to.deep.equal(room.ticketIds.map(() => ({ state: 'matched', roomId: room.roomId })));
      else
        expect(
          states.filter((each) => each.roomId === room.roomId),
          room.roomId,
        ).to.deep.equal([]);
      expect(await store.room(room.mode, room.region, room.roomId)).to.equal(claimed ? room.json : null);
    }
    expect(await redis.ttl(store.keys.room(OTHER_POOL.mode, OTHER_POOL.region, rooms.at(-1)!.roomId))).to.be.within(
      OUTCOME_TTL_SECONDS - 5,
      OUTCOME_TTL_SECONDS,
    );
  });

  it("keeps a pool's first epoch: markEpochs and epoch write one only where Redis holds none", async () => {
    await redis.del(store.keys.poolEpoch(POOL.mode, POOL.region));
    expect(await store.readEpoch(POOL.mode, POOL.region)).to.equal(null);
    await store.markEpochs([POOL], 1000);
    const first = await store.readEpoch(POOL.mode, POOL.region);
    expect(first).to.match(/^\S+ 1000$/);
    await store.markEpochs([POOL], 2000);
    expect(await store.epoch(POOL.mode, POOL.region, 'other 3000')).to.equal(first);
    await redis.del(store.keys.poolEpoch(POOL.mode, POOL.region));
    expect(await store.epoch(POOL.mode, POOL.region, 'other 3000')).to.equal('other 3000');
    expect(await store.readEpoch(POOL.mode, POOL.region)).to.equal('other 3000');
  });

  it('times out only tickets still queued', async () => {
    const [waiting, gone] = [ticket(), ticket()];
    await store.open(waiting, null, 60);
    await store.open(gone, null, 60);
    await store.cancel(gone);
    expect(await store.expire(POOL.mode, POOL.region, [waiting.ticketId, gone.ticketId])).to.deep.equal([true, false]);
    expect((await store.get(waiting))?.state).to.equal('timeout');
  });

  it('lets one connection tell an outcome, once, and gives a hash Redis had lost a TTL', async () => {
    const known = ticket();
    await store.open(known, null, 60);
    expect([await store.claimDelivery(known, 'c1'), await store.claimDelivery(known, 'c1')], 'a redelivery to the same connection').to.deep.equal([
      true,
      false,
    ]);
    await store.markTold(known);
    expect(await store.claimDelivery(known, 'c2'), 'told: not again, on any connection').to.equal(false);
    expect((await store.get(known))?.delivered).to.equal(true);
    const lostToRestart = ticket();
    expect(await store.claimDelivery(lostToRestart, 'c1')).to.equal(true);
    const ttl = await redis.ttl(store.keys.ticket(POOL.mode, POOL.region, lostToRestart.ticketId));
    expect(ttl).to.be.greaterThan(0).and.at.most(OUTCOME_TTL_SECONDS);
  });

  it('never recreates a ticket hash Redis lost: a confirm or a told mark on it leaves no key behind', async () => {
    const lost = ticket();
    await store.confirm(lost);
    await store.markTold(lost);
    expect(await redis.exists(store.keys.ticket(POOL.mode, POOL.region, lost.ticketId))).to.equal(0);
    const live = ticket();
    await store.open(live, null, 60);
    await store.confirm(live);
    expect((await store.get(live))?.confirmed).to.equal(true);
  });

  it('sends the claims and marks of one turn as one script call per pool, each claim decided as if alone', async () => {
    const [fresh, told, party] = [ticket(), ticket(), ticket()];
    const elsewhere = { ...ticket(), ...OTHER_POOL };
    for (const one of [fresh, told, party, elsewhere]) await store.open(one, null, 60);
    await store.claimDelivery(told, 'c0');
    await store.markTold(told);
    const [leader, member] = [randomUUID(), randomUUID()];
    const { calls, monitor } = await watchScriptCalls();
    try {
      // Not awaited one by one: issued in one turn, as a gateway's delivery of a tick's rooms issues them.
      const claims = await Promise.all([
        store.claimDelivery(fresh, 'c1'),
        store.claimDelivery(fresh, 'c1'),
        store.claimDelivery(told, 'c1'),
        store.claimDelivery(party, 'c1', leader),
        store.claimDelivery(party, 'c2', member),
        store.claimDelivery(elsewhere, 'c1'),
      ]);
      expect(claims, 'a repeat on the same connection and a told outcome lose; each member of a party ticket wins once').to.deep.equal([
        true,
        false,
        false,
        true,
        true,
        true,
      ]);
      await Promise.all([store.markTold(fresh), store.markTold(party, leader), store.markTold(elsewhere)]);
      expect((await store.get(fresh))?.delivered).to.equal(true);
      expect(await redis.hget(store.keys.ticket(POOL.mode, POOL.region, party.ticketId), `delivered:${leader}`)).to.equal('1');
      await eventually('every call seen', () => calls.length >= 4);
      // Claims: one call for POOL's five, one for OTHER_POOL's; marks the same.
      expect(calls.map((call) => Number(call[2]))).to.have.members([5, 1, 2, 1]);
    } finally {
      monitor.stop();
    }
  });

  it('sends the confirms of one turn as one script call per pool, each recorded only on a hash Redis holds', async () => {
    const [first, second] = [ticket(), ticket()];
    const elsewhere = { ...ticket(), ...OTHER_POOL };
    const lost = ticket();
    for (const one of [first, second, elsewhere]) await store.open(one, null, 60);
    const { calls, monitor } = await watchScriptCalls();
    try {
      // Issued in one turn, as a burst of the broker's confirms reaches the gateway.
      await Promise.all([store.confirm(first), store.confirm(second), store.confirm(lost), store.confirm(elsewhere)]);
      await eventually('every call seen', () => calls.length >= 2);
      expect(
        calls.map((call) => Number(call[2])),
        "POOL's three in one call, OTHER_POOL's one in another",
      ).to.have.members([3, 1]);
    } finally {
      monitor.stop();
    }
    for (const one of [first, second, elsewhere]) expect((await store.get(one))?.confirmed).to.equal(true);
    expect(await redis.exists(store.keys.ticket(POOL.mode, POOL.region, lost.ticketId)), 'a lost hash is not recreated').to.equal(0);
  });

  it("gives an outcome claimed but never told (its gateway killed before the socket write) to the player's next connection", async () => {
    const known = ticket();
    await store.open(known, null, 60);
    expect(await store.claimDelivery(known, 'old')).to.equal(true);
    expect((await store.get(known))?.delivered, 'claimed is not told').to.equal(false);
    expect(await store.claimDelivery(known, 'new')).to.equal(true);
    await store.markTold(known);
    expect(await store.claimDelivery(known, 'old')).to.equal(false);
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

  it("writes back a party's live ticket as the party's, so each member is told its outcome once, every member", async () => {
    const [leader, member] = [randomUUID(), randomUUID()];
    const live = { ...ticket(leader), partyId: randomUUID() };
    // Each member's gateway writes the ticket back for its own player.
    await store.restore(live, 60);
    await store.restore({ ...live, playerId: member }, 60);
    expect(await store.get(live)).to.deep.include({ state: 'queued', partyId: live.partyId, deliveredTo: [] });
    expect((await store.livePointer(member))?.ref.ticketId).to.equal(live.ticketId);
    expect(await store.claimDelivery(live, 'c-leader', leader)).to.equal(true);
    await store.markTold(live, leader);
    expect(await store.claimDelivery(live, 'c-leader', leader)).to.equal(false);
    expect(await store.claimDelivery(live, 'c-member', member), 'the second member is still to be told').to.equal(true);
    await store.markTold(live, member);
    expect((await store.get(live))?.deliveredTo).to.have.members([leader, member]);
  });

  it('finds the gateway of each player, null for one with none', async () => {
    const [here, nowhere] = [randomUUID(), randomUUID()];
    expect(await store.setGateway(here, 'gw-a', 'c1')).to.equal(null);
    expect(await store.setGateway(here, 'gw-b', 'c2')).to.deep.equal({ gatewayId: 'gw-a', connectionId: 'c1' });
    expect(await store.gatewaysOf([here, nowhere])).to.deep.equal(['gw-b', null]);
  });
});
