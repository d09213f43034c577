import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { begin, fail, finish, type AllocationRecord } from '../../core/room-allocation.js';
import { createAllocationStore, type AllocationAnswer, type AllocationRoom, type AllocationStore } from '../../common/allocation-store.js';
import { redisKeys } from '../../common/names.js';
import { connectRedis, type RedisClient } from '../../common/redis.js';
import { dropNamespace, newNamespace, REDIS_URL } from '../support/namespace.js';
import { silent } from '../support/stack.js';

const POOL = { mode: 'ffa3', region: 'eu' };
const LEASE = 40_000;
const T0 = 1_800_000_000_000;

/**
 * A room's allocation state on the real Redis: one allocation per room whatever crashes or
 * races, and a failed room's tickets back in their pools (the third failure ends them).
 */
describe('allocation store (Lua) against a real Redis', () => {
  const namespace = newNamespace();
  const keys = redisKeys(namespace);
  let redis: RedisClient;
  let plain: Redis;
  let store: AllocationStore;

  before(async () => {
    redis = await connectRedis(REDIS_URL, silent);
    plain = new Redis(REDIS_URL);
    store = createAllocationStore(redis, redisKeys(namespace));
  });
  after(async () => {
    await redis.quit();
    plain.disconnect();
    await dropNamespace(namespace, [POOL]);
  });

  const ticketKey = (ticketId: string) => keys.ticket(POOL.mode, POOL.region, ticketId);

  /** A room claimed as the matcher claims one: tickets matched to it, its event kept. */
  async function claimedRoom(size = 3, failuresBefore: number[] = []): Promise<AllocationRoom> {
    const room = { ...POOL, roomId: randomUUID(), ticketIds: Array.from({ length: size }, () => randomUUID()) };
    for (const [index, ticketId] of room.ticketIds.entries()) {
      await plain.hset(ticketKey(ticketId), {
        state: 'matched',
        room: room.roomId,
        playerId: `p-${ticketId}`,
        joinedAt: '1234',
        ...(failuresBefore[index] ? { allocationFailures: failuresBefore[index] } : {}),
      });
    }
    await plain.set(keys.room(POOL.mode, POOL.region, room.roomId), `{"id":"${room.roomId}"}`);
    return room;
  }

  it('lets one start allocate a room; a duplicate meanwhile is busy until the lease, then learns the server that stands', async () => {
    const room = await claimedRoom();
    expect(await store.begin(room, 'a1', T0, LEASE)).to.deep.include({ action: 'allocate', starts: 1, leaseUntil: T0 + LEASE });
    expect(await store.begin(room, 'a2', T0 + 10, LEASE)).to.deep.include({ action: 'busy', starts: 1, leaseUntil: T0 + LEASE });
    const server = '{"address":"10.0.0.1:7000"}';
    expect(await store.finish(room, server, `{"id":"${room.roomId}","server":${server}}`)).to.deep.include({ action: 'announced', server });
    expect(await plain.get(keys.room(POOL.mode, POOL.region, room.roomId))).to.equal(`{"id":"${room.roomId}","server":${server}}`);
    expect(await store.begin(room, 'a2', T0 + 20, LEASE)).to.deep.include({ action: 'announced', server });
    // A second success (a duplicate that asked the fleet anyway) does not replace the first.
    expect(await store.finish(room, '{"address":"10.9.9.9:1"}', '{}')).to.deep.include({ action: 'announced', server });
    expect(await store.fail(room, 1, 'rejected')).to.deep.include({ action: 'announced', server });
    expect(await plain.hget(ticketKey(room.ticketIds[0]!), 'state')).to.equal('matched');
  });

  it("gives the room to a new start once a crashed holder's lease lapsed; the old start may still succeed, but not fail it", async () => {
    const room = await claimedRoom();
    expect((await store.begin(room, 'crashed', T0, LEASE)).action).to.equal('allocate');
    const second = await store.begin(room, 'next', T0 + LEASE + 1, LEASE);
    expect(second).to.deep.include({ action: 'allocate', starts: 2 });
    expect(await store.fail(room, 1, 'budget_spent')).to.deep.include({ action: 'stale', starts: 2 });
    expect(await plain.hget(ticketKey(room.ticketIds[0]!), 'state')).to.equal('matched');
    const late = '{"address":"late:1"}';
    expect(await store.finish(room, late, '{}')).to.deep.include({ action: 'announced', server: late });
    expect(await store.fail(room, 2, 'budget_spent')).to.deep.include({ action: 'announced', server: late });
  });

  it('lets a stopping holder give the room back, so the next start need not wait for its lease', async () => {
    const room = await claimedRoom();
    const { starts } = await store.begin(room, 'stopping', T0, LEASE);
    expect(await store.yield(room, starts + 1)).to.equal(false);
    expect((await store.begin(room, 'next', T0 + 1, LEASE)).action).to.equal('busy');
    expect(await store.yield(room, starts)).to.equal(true);
    expect(await store.begin(room, 'next', T0 + 2, LEASE)).to.deep.include({ action: 'allocate', starts: starts + 1 });
    await store.finish(room, '{"address":"a:1"}', '{}');
    expect(await store.yield(room, starts + 1)).to.equal(false);
  });

  it('releases a failed room: every ticket queued again with its join time, the kept room gone, and the decision repeated to a redelivery', async () => {
    const room = await claimedRoom();
    const { starts } = await store.begin(room, 'a1', T0, LEASE);
    const released = await store.fail(room, starts, 'rejected');
    expect(released).to.deep.include({ action: 'dissolved', reason: 'rejected', requeued: room.ticketIds, ended: [] });
    for (const ticketId of room.ticketIds) {
      expect(await plain.hgetall(ticketKey(ticketId))).to.deep.equal({ state: 'queued', playerId: `p-${ticketId}`, joinedAt: '1234', allocationFailures: '1' });
    }
    expect(await plain.exists(keys.room(POOL.mode, POOL.region, room.roomId))).to.equal(0);
    expect(await store.begin(room, 'a2', T0 + LEASE * 2, LEASE)).to.deep.include({ action: 'dissolved', requeued: room.ticketIds, ended: [] });
    expect(await store.fail(room, starts, 'rejected')).to.deep.include({ action: 'dissolved', requeued: room.ticketIds });
    expect(await store.finish(room, '{"address":"x:1"}', '{}')).to.deep.include({ action: 'dissolved' });
    expect(await plain.hget(ticketKey(room.ticketIds[0]!), 'allocationFailures')).to.equal('1');
  });

  it('ends a ticket at the third failed allocation of its rooms, and requeues the others of that room', async () => {
    const room = await claimedRoom(3, [2, 1, 0]);
    const { starts } = await store.begin(room, 'a1', T0, LEASE);
    const released = await store.fail(room, starts, 'budget_spent');
    expect(released).to.deep.include({ action: 'dissolved', ended: [room.ticketIds[0]], requeued: [room.ticketIds[1], room.ticketIds[2]] });
    const states = await Promise.all(room.ticketIds.map((ticketId) => plain.hmget(ticketKey(ticketId), 'state', 'allocationFailures', 'room')));
    expect(states).to.deep.equal([
      ['allocation_failed', '3', null],
      ['queued', '2', null],
      ['queued', '1', null],
    ]);
    expect(await plain.ttl(ticketKey(room.ticketIds[0]!))).to.be.greaterThan(3000);
  });

  it('leaves tickets the room no longer holds alone, and requeues tickets Redis lost or a gateway wrote back', async () => {
    const room = await claimedRoom(4);
    const [, cancelled, lost, restored] = room.ticketIds as [string, string, string, string];
    await plain.hset(ticketKey(cancelled), 'state', 'cancelled');
    await plain.del(ticketKey(lost));
    await plain.hset(ticketKey(restored), 'state', 'queued');
    await plain.hdel(ticketKey(restored), 'room');
    const { starts } = await store.begin(room, 'a1', T0, LEASE);
    const released = await store.fail(room, starts, 'rejected');
    expect(released.requeued).to.deep.equal([room.ticketIds[0], lost, restored]);
    expect(await plain.hget(ticketKey(cancelled), 'state')).to.equal('cancelled');
    expect(await plain.exists(ticketKey(lost))).to.equal(0);
  });

  it('decides once among many racing copies: one begins, and one of a success and a failure racing wins', async () => {
    const room = await claimedRoom();
    const begins = await Promise.all(Array.from({ length: 20 }, (_, index) => store.begin(room, `a${index}`, T0, LEASE)));
    expect(begins.filter((answer) => answer.action === 'allocate')).to.have.length(1);
    const [finished, failed] = await Promise.all([store.finish(room, '{"address":"a:1"}', '{}'), store.fail(room, 1, 'rejected')]);
    expect(finished.action).to.equal(failed.action);
    const states = await Promise.all(room.ticketIds.map((ticketId) => plain.hget(ticketKey(ticketId), 'state')));
    expect(new Set(states)).to.have.property('size', 1);
    expect(states[0]).to.equal(finished.action === 'announced' ? 'matched' : 'queued');
  });

  it('agrees with the pure machine (core/room-allocation.ts) on any sequence of begins, finishes and failures', async () => {
    type Step = { kind: 'begin'; at: number } | { kind: 'finish'; server: number } | { kind: 'fail'; stale: boolean };
    const stepArb: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('begin' as const), at: fc.integer({ min: 0, max: 3 * LEASE }) }),
      fc.record({ kind: fc.constant('finish' as const), server: fc.integer({ min: 1, max: 9 }) }),
      fc.record({ kind: fc.constant('fail' as const), stale: fc.boolean() }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 3 }),
        fc.array(stepArb, { maxLength: 8 }),
        async (failuresBefore, steps) => {
          const room = await claimedRoom(failuresBefore.length, failuresBefore);
          let pure: AllocationRecord | null = null;
          let clock = T0;
          const same = (answer: AllocationAnswer, action: string, record: AllocationRecord | null) => {
            expect(answer.action).to.equal(action);
            if (record && answer.action !== 'busy' && answer.action !== 'stale') {
              expect({ starts: answer.starts, server: answer.server, requeued: answer.requeued, ended: answer.ended }).to.deep.equal({
                starts: record.starts,
                server: record.phase === 'announced' ? record.server : '',
                requeued: record.requeued,
                ended: record.ended,
              });
            }
          };
          for (const step of steps) {
            if (step.kind === 'begin') {
              clock += step.at;
              const next = begin(pure, clock, LEASE);
              same(await store.begin(room, 'h', clock, LEASE), next.action, next.record);
              pure = next.record;
            } else if (step.kind === 'finish') {
              const server = `{"address":"s${step.server}:1"}`;
              const next = finish(pure, server);
              same(await store.finish(room, server, '{}'), next.action, next.record);
              pure = next.record;
            } else {
              const starts = (pure?.starts ?? 0) - (step.stale ? 1 : 0);
              const held = room.ticketIds.map((ticketId, index) => ({ ticketId, failures: failuresBefore[index]! }));
              const next = fail(pure, starts, 'rejected', held);
              same(await store.fail(room, starts, 'rejected'), next.action, next.record);
              pure = next.record;
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
