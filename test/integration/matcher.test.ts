import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { amqpNames, redisKeys } from '../../common/names.js';
import type { MatchConfig } from '../../core/types.js';
import { startMatcherService } from '../../services/matcher/service.js';
import { PlainBroker, eventually } from '../support/broker.js';
import { REDIS_URL } from '../support/namespace.js';
import { silent, startStack, type Stack } from '../support/stack.js';

const RULE = { teams: 1, teamSize: 3, window: { initial: 0, perSecond: 50, max: Infinity }, maxWaitSeconds: 300 };

function join(ticketId: string, rating: number, extra: Record<string, unknown> = {}) {
  return {
    v: 1,
    type: 'join',
    ticketId,
    playerId: `player-${ticketId}`,
    name: `n${rating}`,
    rating,
    mode: 'ffa3',
    region: 'global',
    joinedAt: Date.now(),
    ...extra,
  };
}

/**
 * The matcher alone (no gateway traffic): requests are published straight to the broker
 * and every effect is read back with a plain amqplib client and Redis.
 */
describe('matcher against the real broker and Redis', () => {
  let stack: Stack;
  let broker: PlainBroker;
  let redis: Redis;
  let names: ReturnType<typeof amqpNames>;
  let rooms: import('amqplib').ConsumeMessage[];

  async function start(match?: MatchConfig) {
    stack = await startStack({ without: ['notifier', 'recorder'], tickMs: 100, match });
    names = amqpNames(stack.namespace);
    broker = await PlainBroker.connect();
    rooms = await broker.tap(names.rooms);
  }
  const request = (body: unknown, routingKey = 'ffa3.global') => broker.publishJson(names.requests, routingKey, body);
  const roomBodies = () => rooms.map((message) => JSON.parse(message.content.toString()));

  before(() => {
    redis = new Redis(REDIS_URL);
  });
  after(() => redis.disconnect());
  afterEach(async () => {
    await broker?.close();
    await stack?.stop();
  });

  it('publishes a room of close ratings as room.v1, persistent, message_id = room id, then acks its requests', async () => {
    await start();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    ids.forEach((id, index) => request(join(id, 1500 + index)));
    const [message] = await eventually('a room', () => rooms.length > 0 && rooms);
    const room = JSON.parse(message!.content.toString());
    expect(message!.properties).to.include({ messageId: room.id, type: 'room.v1', contentType: 'application/json', deliveryMode: 2 });
    expect(room).to.include({ v: 1, mode: 'ffa3', region: 'global', spread: 2 });
    expect(room.players.map((player: { ticketId: string }) => player.ticketId).sort()).to.deep.equal([...ids].sort());
    for (const id of ids) expect(await redis.hget(redisKeys(stack.namespace).ticket('ffa3', 'global', id), 'state')).to.equal('matched');
    // Stopping the matcher returns every unacked request to the queue: none may be left.
    await eventually('requests acked', () => stack.matcher!.matcher.pools()[0]!.held === 0);
    await stack.matcher!.stop();
    expect(await broker.ready(names.pool('ffa3', 'global'))).to.equal(0);
  });

  it('keeps players whose ratings are too far apart waiting, and never puts one in two rooms', async () => {
    await start();
    const ids = Array.from({ length: 9 }, () => randomUUID());
    ids.forEach((id, index) => request(join(id, 1000 + Math.floor(index / 3) * 400 + index)));
    await eventually('three rooms', () => rooms.length === 3);
    const seated = roomBodies().flatMap((room) => room.players.map((player: { ticketId: string }) => player.ticketId));
    expect(new Set(seated).size).to.equal(9);
    for (const room of roomBodies()) expect(room.spread).to.be.lessThan(400);
  });

  it('drops a ticket whose leave came before the tick', async () => {
    await start();
    const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await stack.matcher!.stop(); // hold the pool still while the requests queue up
    for (const id of [a, b, c]) request(join(id, 1500));
    request({ v: 1, type: 'leave', ticketId: b, playerId: `player-${b}`, mode: 'ffa3', region: 'global' });
    request(join(d, 1500));
    const restarted = await startMatcherService(stack.configFor({ MATCHER_ID: 'again' }), silent);
    try {
      const [message] = await eventually('a room', () => rooms.length > 0 && rooms);
      const seated = JSON.parse(message!.content.toString())
        .players.map((player: { ticketId: string }) => player.ticketId)
        .sort();
      expect(seated).to.deep.equal([a, c, d].sort());
    } finally {
      await restarted.stop();
    }
  });

  it('gives up a room whose ticket was cancelled in Redis first, and seats the others later', async () => {
    await start();
    const keys = redisKeys(stack.namespace);
    const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await redis.hset(keys.ticket('ffa3', 'global', b), 'state', 'cancelled');
    for (const id of [a, b, c]) request(join(id, 1500));
    await eventually('the lost claim to be counted', async () =>
      (await fetch(`http://127.0.0.1:${stack.matcher!.port}/metrics`).then((res) => res.text())).includes('matchq_lost_claims_total{pool="ffa3.global"'),
    );
    expect(rooms).to.have.length(0);
    request(join(d, 1500));
    await eventually('a room without the cancelled ticket', () => rooms.length === 1);
    expect(
      roomBodies()[0]
        .players.map((player: { ticketId: string }) => player.ticketId)
        .sort(),
    ).to.deep.equal([a, c, d].sort());
  });

  it('ends a ticket at maxWaitSeconds: state timeout in Redis and a timeout for the notifier', async () => {
    await start({ regions: ['global'], modes: { ffa3: { ...RULE, maxWaitSeconds: 1 } } });
    const id = randomUUID();
    request(join(id, 1500));
    const timeout = await eventually('a timeout on the notifier queue', () => broker.get(names.notifier));
    expect(timeout.properties.type).to.equal('timeout.v1');
    expect(JSON.parse(timeout.content.toString())).to.deep.equal({ v: 1, ticketId: id, playerId: `player-${id}`, mode: 'ffa3', region: 'global' });
    expect(await redis.hget(redisKeys(stack.namespace).ticket('ffa3', 'global', id), 'state')).to.equal('timeout');
  });

  it('moves an unreadable request to matchq.dead with the reason, once, and keeps matching', async () => {
    await start();
    request('{not json');
    request({ v: 1, type: 'join', ticketId: 'x' });
    const dead: import('amqplib').GetMessage[] = [];
    await eventually('two dead letters', async () => dead.push(...(await broker.drain(names.dead))) === 2);
    const reasons = dead.map((message) => message.properties.headers!['x-matchq-reason']);
    expect(reasons[0]).to.equal('not JSON');
    expect(reasons[1])
      .to.be.a('string')
      .and.match(/playerId|name|rating|mode/);
    [randomUUID(), randomUUID(), randomUUID()].forEach((id) => request(join(id, 1500)));
    await eventually('a room after the bad requests', () => rooms.length === 1);
    expect(await broker.ready(names.dead)).to.equal(0);
  });

  it('acks a redelivered join whose ticket was already matched and re-announces its room, same id', async () => {
    await start();
    await stack.matcher!.stop();
    const keys = redisKeys(stack.namespace);
    const id = randomUUID();
    const roomId = randomUUID();
    const room = {
      v: 1,
      id: roomId,
      mode: 'ffa3',
      region: 'global',
      createdAt: new Date().toISOString(),
      spread: 0,
      imbalance: 0,
      players: [{ playerId: `player-${id}`, ticketId: id, name: 'n', rating: 1500, team: 0, waitedMs: 10 }],
    };
    await redis.hset(keys.ticket('ffa3', 'global', id), { state: 'matched', room: roomId });
    await redis.set(keys.room('ffa3', 'global', roomId), JSON.stringify(room));
    request(join(id, 1500));
    // Take the request without acking, then drop the channel: the broker redelivers it, flagged.
    const channel = await broker.openChannel();
    await eventually('the request', () => channel.get(names.pool('ffa3', 'global')));
    await channel.close();
    const restarted = await startMatcherService(stack.configFor({ MATCHER_ID: 'again' }), silent);
    try {
      const [message] = await eventually('the room again', () => rooms.length > 0 && rooms);
      expect(message!.properties.messageId).to.equal(roomId);
      expect(JSON.parse(message!.content.toString())).to.deep.equal(room);
      await eventually('the request acked', () => restarted.matcher.pools()[0]!.held === 0);
    } finally {
      await restarted.stop();
    }
    expect(await broker.ready(names.pool('ffa3', 'global'))).to.equal(0);
  });

  it('splits a 2v2 room into teams of even rating sums', async () => {
    await start({ regions: ['eu'], modes: { duo: { teams: 2, teamSize: 2, window: { initial: 500, perSecond: 0, max: 500 }, maxWaitSeconds: 60 } } });
    const ratings = [1000, 1100, 1300, 1400];
    ratings.forEach((rating) => request(join(randomUUID(), rating, { mode: 'duo', region: 'eu' }), 'duo.eu'));
    const [message] = await eventually('a room', () => rooms.length > 0 && rooms);
    const room = JSON.parse(message!.content.toString());
    const sums = [0, 1].map((team) =>
      room.players.filter((player: { team: number }) => player.team === team).reduce((sum: number, player: { rating: number }) => sum + player.rating, 0),
    );
    expect(sums).to.deep.equal([2400, 2400]);
    expect(room.imbalance).to.equal(0);
  });
  it('seats a party ticket whole on one team, lists every member with partyId and matchRating, and claims its one ticket', async () => {
    const duo = { teams: 2, teamSize: 2, window: { initial: 500, perSecond: 0, max: 500 }, maxWaitSeconds: 60 };
    await start({ regions: ['eu'], modes: { duo: { ...duo, party: { maxSize: 2, aggregate: 'max' } } } });
    const partyTicket = randomUUID();
    const members = [
      { playerId: randomUUID(), name: 'ada', rating: 1400 },
      { playerId: randomUUID(), name: 'bob', rating: 1200 },
    ];
    request(join(partyTicket, 1400, { mode: 'duo', region: 'eu', playerId: members[0]!.playerId, partyId: 'party-1', members }), 'duo.eu');
    const solos = [1300, 1500].map((rating) => ({ ticketId: randomUUID(), rating }));
    for (const solo of solos) request(join(solo.ticketId, solo.rating, { mode: 'duo', region: 'eu' }), 'duo.eu');
    const [message] = await eventually('a room', () => rooms.length > 0 && rooms);
    const room = JSON.parse(message!.content.toString());
    type Seat = { playerId: string; ticketId: string; name: string; rating: number; team: number; partyId: string | null; matchRating: number };
    const seats: Seat[] = room.players;
    expect(seats).to.have.length(4);
    const party = seats.filter((seat) => seat.ticketId === partyTicket);
    expect(party.map((seat) => [seat.playerId, seat.name, seat.rating, seat.partyId, seat.matchRating])).to.deep.equal([
      [members[0]!.playerId, 'ada', 1400, 'party-1', 1400],
      [members[1]!.playerId, 'bob', 1200, 'party-1', 1400],
    ]);
    expect(party[0]!.team).to.equal(party[1]!.team);
    for (const seat of seats.filter((x) => x.ticketId !== partyTicket)) expect(seat).to.include({ partyId: null, matchRating: seat.rating });
    // Teams count both members at the party's 1400: 2800 against 1300 + 1500.
    expect(room.imbalance).to.equal(0);
    expect(room.spread).to.equal(200);
    const keys = redisKeys(stack.namespace);
    expect(await redis.hgetall(keys.ticket('duo', 'eu', partyTicket))).to.include({ state: 'matched', room: room.id });
    for (const member of members) expect(await redis.exists(keys.ticket('duo', 'eu', member.playerId))).to.equal(0);
    await eventually('requests acked', () => stack.matcher!.matcher.pools()[0]!.held === 0);
  });

  it('moves a party larger than its mode takes to matchq.dead, naming why', async () => {
    await start({
      regions: ['eu'],
      modes: { duo: { teams: 2, teamSize: 2, window: { initial: 500, perSecond: 0, max: 500 }, maxWaitSeconds: 60, party: { maxSize: 1, aggregate: 'avg' } } },
    });
    const members = [
      { playerId: 'p1', name: 'ada', rating: 1400 },
      { playerId: 'p2', name: 'bob', rating: 1200 },
    ];
    request(join(randomUUID(), 1300, { mode: 'duo', region: 'eu', playerId: 'p1', partyId: 'party-2', members }), 'duo.eu');
    const [dead] = await eventually('a dead letter', () => broker.drain(names.dead).then((messages) => messages.length > 0 && messages));
    expect(dead!.properties.headers!['x-matchq-reason']).to.equal('members: a party of 2, mode duo takes parties of up to 1');
  });
});
