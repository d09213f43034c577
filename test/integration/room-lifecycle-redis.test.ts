import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { propose, step, ticketStates, type RoomLife, type RoomLifeEvent } from '../../core/room-lifecycle.js';
import { redisKeys } from '../../common/names.js';
import { createProposalStore } from '../../common/proposal-store.js';
import { CLAIM_ROOMS_PER_CALL, EpochChanged } from '../../common/ticket-store.js';
import { connectRedis, type RedisClient } from '../../common/redis.js';
import { dropNamespace, newNamespace, REDIS_URL } from '../support/namespace.js';
import { DEADLINE, EVENTS, PHASES, SEATS } from '../support/room-lifecycle-cases.js';
import { silent } from '../support/stack.js';

const MODE = 'duo';
const REGION = 'eu';
/** The pool's Redis epoch as the proposals in these tests last read it. */
const EPOCH = 'epoch-1 1000';

/**
 * The Lua scripts against the pure machine: every phase × event, run through
 * propose-room.lua and step-room.lua on the real Redis, must leave the proposal, its
 * tickets and the pool's pending and decided sets as core/room-lifecycle.ts says.
 */
describe('room lifecycle: the Redis scripts agree with the pure state machine', () => {
  const namespace = newNamespace();
  const keys = redisKeys(namespace);
  let redis: RedisClient;
  let plain: Redis;
  let store: ReturnType<typeof createProposalStore>;

  before(async () => {
    redis = await connectRedis(REDIS_URL, silent);
    plain = new Redis(REDIS_URL);
    store = createProposalStore(redis, redisKeys(namespace));
    await plain.set(keys.poolEpoch(MODE, REGION), EPOCH);
  });
  after(async () => {
    await redis.quit();
    plain.disconnect();
    await dropNamespace(namespace, [{ mode: MODE, region: REGION }]);
  });

  /** A fresh proposal of SEATS in Redis, its tickets queued first; ticket ids made unique per case. */
  async function proposeInRedis() {
    const roomId = randomUUID();
    const suffix = roomId.slice(0, 8);
    const ticket = (id: string) => `${id}-${suffix}`;
    const seats = SEATS.map((seat) => ({ playerId: seat.playerId, ticketId: ticket(seat.ticketId) }));
    const ticketIds = [...new Set(seats.map((seat) => seat.ticketId))];
    for (const id of ticketIds) await plain.hset(keys.ticket(MODE, REGION, id), 'state', 'queued');
    const [lost] = await store.propose([{ mode: MODE, region: REGION, roomId, ticketIds, seats, json: `{"id":"${roomId}"}`, deadline: DEADLINE }], EPOCH);
    expect(lost).to.deep.equal([]);
    return { roomId, ticket };
  }

  const apply = (roomId: string, event: RoomLifeEvent) =>
    store.step(MODE, REGION, roomId, event.type, 'now' in event ? event.now : 0, 'playerId' in event ? event.playerId : '');

  async function observed(roomId: string, ticket: (id: string) => string, pure: RoomLife) {
    const stored = (await store.get(MODE, REGION, roomId))!;
    const states = await Promise.all([...ticketStates(pure).keys()].map((id) => plain.hget(keys.ticket(MODE, REGION, ticket(id)), 'state')));
    const untag = (ids: string[]) => ids.map((id) => id.replace(/-[0-9a-f]{8}$/, ''));
    return {
      phase: stored.phase,
      accepted: stored.accepted,
      dissolved: stored.dissolved && { ...stored.dissolved, ended: untag(stored.dissolved.ended), requeued: untag(stored.dissolved.requeued) },
      tickets: states,
      pending: (await plain.zscore(keys.pendingProposals(MODE, REGION), roomId)) !== null,
      decided: (await plain.sismember(keys.decidedProposals(MODE, REGION), roomId)) === 1,
      roomKept: (await plain.exists(keys.room(MODE, REGION, roomId))) === 1,
    };
  }

  function expectedOf(pure: RoomLife, history: RoomLife['phase'][]) {
    return {
      phase: pure.phase,
      accepted: [...pure.accepted],
      dissolved: pure.dissolved,
      tickets: [...ticketStates(pure).values()],
      pending: pure.phase === 'proposed',
      decided: pure.phase === 'final' || pure.phase === 'allocating' || pure.phase === 'dissolved',
      roomKept: history.includes('final'),
    };
  }

  it('a proposal starts as the machine says: tickets proposed, pending until its deadline', async () => {
    const { roomId, ticket } = await proposeInRedis();
    const pure = propose(SEATS, DEADLINE);
    expect(await observed(roomId, ticket, pure)).to.deep.equal(expectedOf(pure, ['proposed']));
    expect(await store.pending(MODE, REGION, DEADLINE)).to.not.include(roomId);
    expect(await store.pending(MODE, REGION, DEADLINE + 1)).to.include(roomId);
  });

  it('refuses a proposal whose ticket already ended, claiming none of them', async () => {
    const roomId = randomUUID();
    await plain.hset(keys.ticket(MODE, REGION, `a-${roomId}`), 'state', 'cancelled');
    const lost = await store.propose(
      [{ mode: MODE, region: REGION, roomId, ticketIds: [`b-${roomId}`, `a-${roomId}`], seats: [], json: '{}', deadline: 1 }],
      EPOCH,
    );
    expect(lost).to.deep.equal([[1]]);
    expect(await plain.hget(keys.ticket(MODE, REGION, `b-${roomId}`), 'state')).to.equal(null);
    expect(await store.get(MODE, REGION, roomId)).to.equal(null);
  });

  it('proposes the same room again, as after a call whose answer was lost: admitted, with the answers so far and the new deadline; another room is refused its tickets', async () => {
    const { roomId, ticket } = await proposeInRedis();
    expect((await apply(roomId, { type: 'accept', playerId: 'p1', now: 5_000 })).outcome).to.equal('ok');
    const seats = SEATS.map((seat) => ({ playerId: seat.playerId, ticketId: ticket(seat.ticketId) }));
    const ticketIds = [...new Set(seats.map((seat) => seat.ticketId))];
    const again = { mode: MODE, region: REGION, roomId, ticketIds, seats, json: `{"id":"${roomId}"}`, deadline: DEADLINE + 1000 };
    expect(await store.propose([again], EPOCH)).to.deep.equal([[]]);
    const pure = step(propose(SEATS, DEADLINE + 1000), { type: 'accept', playerId: 'p1', now: 5_000 }).room;
    expect(await observed(roomId, ticket, pure)).to.deep.equal(expectedOf(pure, ['proposed']));
    expect(await plain.zscore(keys.pendingProposals(MODE, REGION), roomId)).to.equal(String(DEADLINE + 1000));
    expect(await store.propose([{ ...again, roomId: randomUUID() }], EPOCH)).to.deep.equal([[0, 1]]);
  });

  it("proposes nothing under an epoch that is not the pool's (Redis lost its data since the matcher read it)", async () => {
    const roomId = randomUUID();
    const ticketIds = [`a-${roomId}`, `b-${roomId}`];
    const room = {
      mode: MODE,
      region: REGION,
      roomId,
      ticketIds,
      seats: ticketIds.map((ticketId) => ({ playerId: `p-${ticketId}`, ticketId })),
      json: '{}',
      deadline: 1,
    };
    let refused: unknown;
    await store.propose([room], 'epoch-0 500').catch((error: unknown) => (refused = error));
    expect(refused).to.be.instanceOf(EpochChanged);
    expect(await store.get(MODE, REGION, roomId)).to.equal(null);
    expect(await plain.exists(keys.ticket(MODE, REGION, ticketIds[0]!))).to.equal(0);
    expect(await store.propose([room], EPOCH)).to.deep.equal([[]]);
  });

  it('proposes a batch of rooms over several script calls, each all or none, answering in order', async () => {
    const count = 2 * CLAIM_ROOMS_PER_CALL + 3;
    const rooms = Array.from({ length: count }, (_, index) => {
      const roomId = randomUUID();
      const ticketIds = [`a-${roomId}`, `b-${roomId}`];
      return {
        mode: MODE,
        region: REGION,
        roomId,
        ticketIds,
        seats: ticketIds.map((ticketId) => ({ playerId: `p-${ticketId}`, ticketId })),
        json: `{"n":${index}}`,
        deadline: 1000 + index,
      };
    });
    // The second call's first room lost a ticket to a leave.
    await plain.hset(keys.ticket(MODE, REGION, rooms[CLAIM_ROOMS_PER_CALL]!.ticketIds[1]!), 'state', 'cancelled');
    const lost = await store.propose(rooms, EPOCH);
    expect(lost).to.deep.equal(rooms.map((_, index) => (index === CLAIM_ROOMS_PER_CALL ? [1] : [])));
    for (const [index, room] of rooms.entries()) {
      const stored = await store.get(MODE, REGION, room.roomId);
      if (index === CLAIM_ROOMS_PER_CALL) {
        expect(stored).to.equal(null);
        expect(await plain.hget(keys.ticket(MODE, REGION, room.ticketIds[0]!), 'state')).to.equal(null);
        continue;
      }
      expect(stored).to.deep.include({ phase: 'proposed', deadline: room.deadline, json: room.json, seats: room.seats, accepted: [] });
      for (const ticketId of room.ticketIds)
        expect(await plain.hmget(keys.ticket(MODE, REGION, ticketId), 'state', 'room')).to.deep.equal(['proposed', room.roomId]);
    }
    const pending = await store.pending(MODE, REGION, 1000 + count);
    expect(rooms.filter((_, index) => index !== CLAIM_ROOMS_PER_CALL).every((room) => pending.includes(room.roomId))).to.equal(true);
    expect(pending).to.not.include(rooms[CLAIM_ROOMS_PER_CALL]!.roomId);
  });

  for (const [phaseName, path] of Object.entries(PHASES)) {
    for (const [eventName, event] of Object.entries(EVENTS)) {
      it(`${phaseName} × ${eventName}`, async () => {
        const { roomId, ticket } = await proposeInRedis();
        let pure = propose(SEATS, DEADLINE);
        const history: RoomLife['phase'][] = ['proposed'];
        for (const earlier of path) {
          expect((await apply(roomId, earlier)).outcome).to.equal('ok');
          pure = step(pure, earlier).room;
          history.push(pure.phase);
        }
        const answer = await apply(roomId, event);
        const result = step(pure, event);
        expect(answer.outcome).to.equal(result.ok ? 'ok' : result.reason);
        pure = result.room;
        history.push(pure.phase);
        expect(answer).to.include({ phase: pure.phase, accepted: pure.accepted.length, total: SEATS.length });
        expect(await observed(roomId, ticket, pure)).to.deep.equal(expectedOf(pure, history));
      });
    }
  }

  it('answers missing for a proposal Redis does not hold', async () => {
    expect((await store.step(MODE, REGION, randomUUID(), 'expire', DEADLINE + 1)).outcome).to.equal('missing');
  });
});
