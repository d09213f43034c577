import type { JoinFrame } from '../../packages/client/src/wire/index.js';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { amqpNames } from '../../common/names.js';
import { ATTEMPTS_HEADER, RETRY_LIMIT } from '../../common/retry-later.js';
import { redisKeys } from '../../common/names.js';
import { PlainBroker, eventually } from '../support/broker.js';
import { REDIS_URL } from '../support/namespace.js';
import { Redis } from 'ioredis';
import { claimAsMatcher, expireAsMatcher } from '../support/claims.js';
import type { PlayerClient } from '../support/player-client.js';
import { startStack, type Stack } from '../support/stack.js';

const JOIN: JoinFrame = { type: 'join', mode: 'ffa3', region: 'global' };

/**
 * The notifier between a hand-made room on the rooms exchange and real gateways: it must
 * find each player's gateway in Redis and route the room there.
 */
describe('notifier against the real broker and Redis', () => {
  let stack: Stack;
  let broker: PlainBroker;
  let names: ReturnType<typeof amqpNames>;
  let seq = 0;

  beforeEach(async () => {
    stack = await startStack({ without: ['matcher', 'recorder'], gateways: 2 });
    names = amqpNames(stack.namespace);
    broker = await PlainBroker.connect();
  });
  afterEach(async () => {
    await broker.close();
    await stack.stop();
  });

  async function queuedPlayer(gateway: number): Promise<{ client: PlayerClient; seat: Record<string, unknown> }> {
    const player = await stack.addPlayer(`n${++seq}`, 1500 + seq);
    const client = await stack.connect(player.token, gateway);
    client.send(JOIN);
    const { ticketId } = await client.next('queued');
    return { client, seat: { playerId: player.id, ticketId, name: player.name, rating: player.rating, team: 0, waitedMs: 5 } };
  }

  const roomOf = (seats: Record<string, unknown>[]) => ({
    v: 1,
    id: randomUUID(),
    mode: 'ffa3',
    region: 'global',
    createdAt: new Date().toISOString(),
    spread: 2,
    imbalance: 0,
    players: seats,
  });

  it('routes a room to the gateway of each player, so each hears matched with the room', async () => {
    const players = [await queuedPlayer(0), await queuedPlayer(1), await queuedPlayer(0)];
    const room = roomOf(players.map((player) => player.seat));
    await claimAsMatcher(stack.namespace, room);
    broker.publishJson(names.rooms, '', room, { messageId: room.id, type: 'room.v1' });
    for (const { client, seat } of players) {
      const matched = await client.next('matched');
      const { v: _version, ...withoutVersion } = room;
      expect(matched).to.deep.equal({ type: 'matched', ticketId: seat.ticketId, room: withoutVersion });
    }
  });

  it('acks rooms routed in one turn in fewer ack frames than rooms (multiple acks); every player hears matched once', async () => {
    const players = await Promise.all(Array.from({ length: 30 }, (_, index) => queuedPlayer(index % 2)));
    const rooms = Array.from({ length: 10 }, (_, index) => roomOf(players.slice(index * 3, index * 3 + 3).map((player) => player.seat)));
    for (const room of rooms) await claimAsMatcher(stack.namespace, room);
    for (const room of rooms) broker.publishJson(names.rooms, '', room, { messageId: room.id, type: 'room.v1' });
    for (const { client, seat } of players) expect(await client.next('matched')).to.include({ ticketId: seat.ticketId });
    const text = await eventually('every room acked', async () => {
      const metrics = await fetch(`http://127.0.0.1:${stack.notifier!.port}/metrics`).then((res) => res.text());
      return (
        (await broker.channel.checkQueue(names.notifier)).messageCount === 0 && /^matchq_notifier_ack_frames_total(\{[^}]*\})? [1-9]/m.test(metrics) && metrics
      );
    });
    const frames = Number(/^matchq_notifier_ack_frames_total(?:\{[^}]*\})? (\d+)/m.exec(text)![1]);
    expect(frames, 'ack frames').to.be.above(0).and.below(rooms.length);
  });

  it('routes a room once: a redelivered copy is dropped before it reaches a gateway', async () => {
    const deliveries = await broker.tap(names.deliveries, `${stack.namespace}-gw0`);
    const { client, seat } = await queuedPlayer(0);
    const room = roomOf([seat]);
    await claimAsMatcher(stack.namespace, room);
    broker.publishJson(names.rooms, '', room, { messageId: room.id, type: 'room.v1' });
    await client.next('matched');
    broker.publishJson(names.rooms, '', room, { messageId: room.id, type: 'room.v1' });
    // The duplicate is counted just before its ack; the graceful stop then requeues anything
    // still unacked, so an empty queue after it means both copies were handled.
    const metricsUrl = `http://127.0.0.1:${stack.notifier!.port}/metrics`;
    await eventually('the copy dropped as a duplicate', async () =>
      /^matchq_notifier_duplicate_rooms_total\{[^}]*\} 1$/m.test(await (await fetch(metricsUrl)).text()),
    );
    await stack.notifier!.stop();
    expect(await broker.ready(names.notifier)).to.equal(0);
    expect(deliveries.map((message) => JSON.parse(message.content.toString()).room.id)).to.deep.equal([room.id]);
  });

  it("routes a room again when the broker returns it because the player's gateway left no queue (it died), so the player hears matched on the gateway they are on now", async function () {
    this.timeout(30_000);
    const { client, seat } = await queuedPlayer(0);
    const pointer = redisKeys(stack.namespace).playerGateway(String(seat.playerId));
    const redis = new Redis(REDIS_URL);
    try {
      // Who-is-where still names a gateway that is gone: the read the notifier does races the move.
      const live = (await redis.get(pointer))!;
      await redis.set(pointer, `gone-${randomUUID()}${live.slice(live.indexOf(' '))}`);
      const room = roomOf([seat]);
      await claimAsMatcher(stack.namespace, room);
      broker.publishJson(names.rooms, '', room, { messageId: room.id, type: 'room.v1' });
      const gone = async () => {
        const metrics = await fetch(`http://127.0.0.1:${stack.notifier!.port}/metrics`).then((res) => res.text());
        return /^matchq_notifier_gateway_gone_total(?:\{[^}]*\})? [1-9]/m.test(metrics);
      };
      await eventually('the delivery returned', gone);
      // The player's move lands: their pointer names the gateway they are on.
      await redis.set(pointer, live);
      expect(await client.next('matched', 15_000)).to.include({ ticketId: seat.ticketId });
    } finally {
      redis.disconnect();
    }
  });

  it('routes a timeout to the player as left with reason timeout', async () => {
    const { client, seat } = await queuedPlayer(1);
    const timeout = { v: 1, ticketId: String(seat.ticketId), playerId: seat.playerId, mode: 'ffa3', region: 'global' };
    await expireAsMatcher(stack.namespace, timeout);
    broker.publishJson('', names.notifier, timeout, { type: 'timeout.v1' });
    expect(await client.next('left')).to.deep.equal({ type: 'left', ticketId: seat.ticketId, reason: 'timeout' });
  });

  it('sends a dissolution no matcher or allocator decided to matchq.dead with the reason, and the player keeps waiting', async () => {
    const { client, seat } = await queuedPlayer(1);
    const forged = {
      v: 1,
      roomId: randomUUID(),
      mode: 'ffa3',
      region: 'global',
      reason: 'allocation_failed',
      players: [{ playerId: seat.playerId, ticketId: seat.ticketId, outcome: 'left' }],
    };
    broker.publishJson('', names.notifier, forged, { messageId: 'forged-dissolved', type: 'dissolved.v1' });
    const dead = await eventually('the forged dissolution in the dead queue', async () =>
      (await broker.drain(names.dead)).find((message) => message.properties.messageId === 'forged-dissolved'),
    );
    expect(dead.properties.headers!['x-matchq-reason']).to.equal(`dissolution not decided by a matcher: ticket ${seat.ticketId} is queued`);
    const real = roomOf([seat]);
    await claimAsMatcher(stack.namespace, real);
    broker.publishJson(names.rooms, '', real, { messageId: real.id, type: 'room.v1' });
    expect(((await client.next('matched')).room as { id: string }).id).to.equal(real.id);
  });

  it('sends a timeout no matcher decided to matchq.dead with the reason, and the player keeps waiting', async () => {
    const { client, seat } = await queuedPlayer(0);
    const forged = { v: 1, ticketId: String(seat.ticketId), playerId: seat.playerId, mode: 'ffa3', region: 'global' };
    broker.publishJson('', names.notifier, forged, { messageId: 'forged-timeout', type: 'timeout.v1', timestamp: Math.floor(Date.now() / 1000) });
    const dead = await eventually('the forged timeout in the dead queue', async () =>
      (await broker.drain(names.dead)).find((message) => message.properties.messageId === 'forged-timeout'),
    );
    expect(dead.properties.headers!['x-matchq-reason']).to.equal(`timeout not decided by a matcher: ticket ${seat.ticketId} is queued`);
    // Still queued: a real room reaches the player, and no left came before it.
    const real = roomOf([seat]);
    await claimAsMatcher(stack.namespace, real);
    broker.publishJson(names.rooms, '', real, { messageId: real.id, type: 'room.v1' });
    expect(((await client.next('matched')).room as { id: string }).id).to.equal(real.id);
  });

  it('moves a room event that breaks the contract to matchq.dead with the reason, and keeps routing', async () => {
    broker.publishJson(names.rooms, '', { v: 1, id: 'not-a-uuid', players: [] }, { type: 'room.v1' });
    const [dead] = await eventually('a dead letter', () => broker.drain(names.dead).then((messages) => messages.length > 0 && messages));
    expect(dead!.properties.headers!['x-matchq-reason']).to.be.a('string').and.not.equal('');
    const { client, seat } = await queuedPlayer(0);
    const room = roomOf([seat]);
    await claimAsMatcher(stack.namespace, room);
    broker.publishJson(names.rooms, '', room, { type: 'room.v1' });
    await client.next('matched');
  });

  it('sends a room no matcher claimed to matchq.dead with the reason, and tells its players nothing', async () => {
    const deliveries = await broker.tap(names.deliveries, `${stack.namespace}-gw0`);
    const { client, seat } = await queuedPlayer(0);
    const other = await queuedPlayer(0);
    // Forged: queued tickets; a ticket Redis never saw; a ticket claimed by another room.
    const claimedElsewhere = roomOf([other.seat]);
    await claimAsMatcher(stack.namespace, claimedElsewhere);
    const forged = [roomOf([seat]), roomOf([seat, { ...seat, ticketId: randomUUID(), playerId: randomUUID() }]), roomOf([seat, other.seat])];
    forged.forEach((room) => broker.publishJson(names.rooms, '', room, { messageId: room.id, type: 'room.v1' }));
    const dead = await eventually('three dead letters', async () => {
      const messages = await broker.drain(names.dead);
      return messages.length > 0 && messages;
    });
    const all = [...dead];
    while (all.length < 3)
      all.push(...(await eventually('the other dead letters', () => broker.drain(names.dead).then((messages) => messages.length > 0 && messages))));
    const reasons = new Map(
      all.map((message) => [JSON.parse(message.content.toString()).id as string, String(message.properties.headers!['x-matchq-reason'])]),
    );
    expect(reasons.get(forged[0]!.id)).to.equal(`room not claimed by a matcher: ticket ${seat.ticketId} is queued`);
    expect(reasons.get(forged[1]!.id)).to.match(/ticket \S+ is (queued|unknown to Redis)$/);
    expect(reasons.get(forged[2]!.id)).to.match(new RegExp(`is (queued|matched to room ${claimedElsewhere.id})$`));
    // The player is still queued and hears nothing of the forged rooms; a real room still reaches them.
    expect(deliveries).to.deep.equal([]);
    const real = roomOf([seat]);
    await claimAsMatcher(stack.namespace, real);
    broker.publishJson(names.rooms, '', real, { messageId: real.id, type: 'room.v1' });
    expect(((await client.next('matched')).room as { id: string }).id).to.equal(real.id);
  });

  it('holds a room whose claim Redis lost until its matcher claims it again, then routes it', async () => {
    const players = [await queuedPlayer(0), await queuedPlayer(1)];
    const room = roomOf(players.map((player) => player.seat));
    await claimAsMatcher(stack.namespace, room);
    // Redis restarts empty: the pool's tickets and epoch are gone, the room is in flight.
    const redis = new Redis(REDIS_URL);
    const keys = redisKeys(stack.namespace);
    await redis.del(keys.poolEpoch('ffa3', 'global'), ...players.map(({ seat }) => keys.ticket('ffa3', 'global', String(seat.ticketId))));
    redis.disconnect();
    broker.publishJson(names.rooms, '', room, { messageId: room.id, type: 'room.v1' });
    await eventually('the room held back, waiting for its claim', async () =>
      /^matchq_notifier_rooms_awaiting_claim_total\{[^}]*\} [1-9]/m.test(await (await fetch(`http://127.0.0.1:${stack.notifier!.port}/metrics`)).text()),
    );
    // What the pool's matcher does once it sees the new epoch (services/matcher/pool-worker.ts).
    await claimAsMatcher(stack.namespace, room);
    for (const { client } of players) expect(((await client.next('matched')).room as { id: string }).id).to.equal(room.id);
    expect(await broker.drain(names.dead)).to.deep.equal([]);
  });

  it('retries a room whose player has no gateway for 10 s from its first delivery, even one dated in the future, then leaves it in Redis', async function () {
    this.timeout(40_000);
    const absent = { playerId: randomUUID(), ticketId: randomUUID(), name: 'away', rating: 1500, team: 0, waitedMs: 5 };
    const room = { ...roomOf([absent]), createdAt: '9999-01-01T00:00:00.000Z' };
    await claimAsMatcher(stack.namespace, room);
    const started = Date.now();
    broker.publishJson(names.rooms, '', room, { messageId: room.id, type: 'room.v1' });
    const redis = new Redis(REDIS_URL);
    try {
      await eventually(
        'the room given up on, left for the reconnect',
        async () => (await redis.exists(redisKeys(stack.namespace).roomNotified('ffa3', 'global', room.id))) === 1,
        30_000,
      );
      expect(Date.now() - started).to.be.within(9_000, 30_000);
      await eventually('the notifier queue empty', async () => (await broker.ready(names.notifier)) === 0);
    } finally {
      redis.disconnect();
    }
  });

  it(`dead-letters a message retried ${RETRY_LIMIT} times, with the reason`, async () => {
    const absent = { playerId: randomUUID(), ticketId: randomUUID(), name: 'gone', rating: 1500, team: 0, waitedMs: 5 };
    const room = roomOf([absent]);
    await claimAsMatcher(stack.namespace, room);
    // As the 30th retry would come back: one more failure and it is done.
    broker.publishJson('', names.notifier, room, { messageId: room.id, type: 'room.v1', headers: { [ATTEMPTS_HEADER]: RETRY_LIMIT } });
    const dead = await eventually('the room in the dead queue', async () =>
      (await broker.drain(names.dead)).find((message) => message.properties.messageId === room.id),
    );
    expect(dead.properties.headers!['x-matchq-reason']).to.equal(`gave up after ${RETRY_LIMIT} retries: a player had no gateway`);
  });
});
