import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { amqpNames, redisKeys } from '../../common/names.js';
import { REDIS_URL } from '../support/namespace.js';
import { PlainBroker, eventually } from '../support/broker.js';
import { claimAsMatcher } from '../support/claims.js';
import { startStack, type Stack } from '../support/stack.js';

describe('recorder against the real broker and PostgreSQL', () => {
  let stack: Stack;
  let broker: PlainBroker;
  let names: ReturnType<typeof amqpNames>;

  before(async () => {
    stack = await startStack({ without: ['matcher', 'notifier'] });
    names = amqpNames(stack.namespace);
    broker = await PlainBroker.connect();
  });
  after(async () => {
    await broker.close();
    await stack.stop();
  });

  const unclaimedRoom = () => ({
    v: 1,
    id: randomUUID(),
    mode: 'ffa3',
    region: 'global',
    createdAt: '2026-11-25T10:00:00.000Z',
    spread: 37,
    imbalance: 0,
    players: [1512, 1490, 1475].map((rating, index) => ({
      playerId: randomUUID(),
      ticketId: randomUUID(),
      name: `p${index}`,
      rating,
      team: 0,
      waitedMs: 1000 + index,
    })),
  });
  /** A room as a matcher makes it: claimed in Redis first. */
  const room = async () => {
    const event = unclaimedRoom();
    await claimAsMatcher(stack.namespace, event);
    return event;
  };

  it('writes a room and its seats to PostgreSQL', async () => {
    const event = await room();
    broker.publishJson(names.rooms, '', event, { messageId: event.id, type: 'room.v1' });
    const row = await eventually('the room row', () => stack.db('rooms').where({ id: event.id }).first());
    expect(row).to.include({ mode: 'ffa3', region: 'global', spread: 37, imbalance: 0, size: 3 });
    expect(new Date(row.created_at).toISOString()).to.equal(event.createdAt);
    expect(row.event).to.deep.equal(event);
    const seats = await stack.db('room_players').where({ room_id: event.id }).orderBy('waited_ms');
    expect(seats.map((seat) => [seat.player_id, seat.rating, seat.waited_ms])).to.deep.equal(
      event.players.map((player) => [player.playerId, player.rating, player.waitedMs]),
    );
    // A room without party fields (as before v1.1): solo seats at their own rating.
    for (const seat of seats) expect(seat).to.include({ party_id: null, match_rating: seat.rating });
  });

  it('acks a batch of rooms written together in fewer ack frames than rooms (multiple acks), every room written and acked once', async () => {
    const metric = async (name: string) => {
      const text = await fetch(`http://127.0.0.1:${stack.recorder!.port}/metrics`).then((res) => res.text());
      const line = text.split('\n').find((each) => each.startsWith(`${name}{`) || each.startsWith(`${name} `));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    const framesBefore = await metric('matchq_recorder_ack_frames_total');
    const recordedBefore = await metric('matchq_recorded_rooms_total');
    const events = await Promise.all(Array.from({ length: 60 }, () => room()));
    for (const event of events) broker.publishJson(names.rooms, '', event, { messageId: event.id, type: 'room.v1' });
    await eventually('every room recorded', async () => (await metric('matchq_recorded_rooms_total')) - recordedBefore === events.length);
    const rows = await stack
      .db('rooms')
      .whereIn(
        'id',
        events.map((event) => event.id),
      )
      .count({ count: '*' })
      .first();
    expect(Number(rows!.count)).to.equal(events.length);
    await eventually('the history queue empty, nothing unacked', async () => (await broker.channel.checkQueue(names.history)).messageCount === 0);
    const frames = (await metric('matchq_recorder_ack_frames_total')) - framesBefore;
    expect(frames, 'ack frames')
      .to.be.above(0)
      .and.below(events.length / 2);
  });

  it("writes a party's seats with their party and the party's rating, one ticket for all of them", async () => {
    const ticketId = randomUUID();
    const partyId = randomUUID();
    const event = {
      v: 1,
      id: randomUUID(),
      mode: 'duo',
      region: 'global',
      createdAt: '2026-12-01T10:00:00.000Z',
      spread: 100,
      imbalance: 0,
      players: [
        { playerId: randomUUID(), ticketId, name: 'ada', rating: 1600, team: 0, waitedMs: 500, partyId, matchRating: 1500 },
        { playerId: randomUUID(), ticketId, name: 'bob', rating: 1400, team: 0, waitedMs: 500, partyId, matchRating: 1500 },
        { playerId: randomUUID(), ticketId: randomUUID(), name: 'cyd', rating: 1550, team: 1, waitedMs: 700, partyId: null, matchRating: 1550 },
        { playerId: randomUUID(), ticketId: randomUUID(), name: 'dee', rating: 1450, team: 1, waitedMs: 800, partyId: null, matchRating: 1450 },
      ],
    };
    await claimAsMatcher(stack.namespace, event);
    broker.publishJson(names.rooms, '', event, { messageId: event.id, type: 'room.v1' });
    await eventually('the party room', () => stack.db('rooms').where({ id: event.id }).first());
    const seats = await stack.db('room_players').where({ room_id: event.id }).orderBy('name');
    expect(seats.map((seat) => [seat.name, seat.ticket_id, seat.party_id, seat.rating, seat.match_rating])).to.deep.equal(
      event.players.map((player) => [player.name, player.ticketId, player.partyId, player.rating, player.matchRating]),
    );
  });

  it('moves a room it cannot read to matchq.dead with the reason, and keeps writing', async () => {
    broker.publishJson(names.rooms, '', '{"v":1,', { type: 'room.v1' });
    const [dead] = await eventually('a dead letter', () => broker.drain(names.dead).then((messages) => messages.length > 0 && messages));
    expect(dead!.properties.headers!['x-matchq-reason']).to.equal('not JSON');
    const event = await room();
    broker.publishJson(names.rooms, '', event, { messageId: event.id, type: 'room.v1' });
    await eventually('the next room row', () => stack.db('rooms').where({ id: event.id }).first());
  });

  it('sends a room no matcher claimed to matchq.dead with the reason, and writes the claimed rooms of its batch', async () => {
    const forged = unclaimedRoom();
    const good = await room();
    broker.publishJson(names.rooms, '', forged, { messageId: forged.id, type: 'room.v1' });
    broker.publishJson(names.rooms, '', good, { messageId: good.id, type: 'room.v1' });
    await eventually('the claimed room', () => stack.db('rooms').where({ id: good.id }).first());
    const dead = await eventually('the forged room in the dead queue', async () =>
      (await broker.drain(names.dead)).find((message) => message.properties.messageId === forged.id),
    );
    expect(dead.properties.headers!['x-matchq-reason']).to.equal(`room not claimed by a matcher: ticket ${forged.players[0]!.ticketId} is unknown to Redis`);
    expect(await stack.db('rooms').where({ id: forged.id }).first()).to.equal(undefined);
  });

  /** Takes dead letters until one for each of `ids` came; returns each one's reason. */
  async function deadReasons(ids: string[]): Promise<Map<string, string>> {
    const reasons = new Map<string, string>();
    await eventually(`${ids.length} dead letters`, async () => {
      for (const message of await broker.drain(names.dead))
        reasons.set(message.properties.messageId as string, String(message.properties.headers!['x-matchq-reason']));
      return ids.every((id) => reasons.has(id));
    });
    return reasons;
  }

  it('refuses rooms whose fields the history tables cannot hold, dead-letters each, and writes the good room of the batch', async () => {
    const variants: [string, (event: ReturnType<typeof unclaimedRoom>) => void][] = [
      [
        'createdAt: not a date',
        (event) => {
          event.createdAt = 'yesterday';
        },
      ],
      [
        'createdAt: year 0',
        (event) => {
          event.createdAt = '0000-01-01T00:00:00.000Z';
        },
      ],
      [
        'spread: beyond int4',
        (event) => {
          event.spread = 1e10;
        },
      ],
      [
        'rating: beyond int4',
        (event) => {
          event.players[0]!.rating = 2 ** 31;
        },
      ],
      [
        'waitedMs: beyond int4',
        (event) => {
          event.players[1]!.waitedMs = 2 ** 31;
        },
      ],
      [
        'name: NUL',
        (event) => {
          event.players[2]!.name = 'a\u0000b';
        },
      ],
      [
        'name: too long',
        (event) => {
          event.players[2]!.name = 'n'.repeat(65);
        },
      ],
    ];
    const refused = await Promise.all(
      variants.map(async ([, spoil]) => {
        const event = unclaimedRoom();
        spoil(event);
        await claimAsMatcher(stack.namespace, event);
        return event;
      }),
    );
    const good = await room();
    for (const event of [...refused, good]) broker.publishJson(names.rooms, '', event, { messageId: event.id, type: 'room.v1' });
    await eventually('the good room', () => stack.db('rooms').where({ id: good.id }).first());
    const reasons = await deadReasons(refused.map((event) => event.id));
    refused.forEach((event, index) => expect(reasons.get(event.id), variants[index]![0]).to.be.a('string').and.not.equal(''));
    expect(
      await stack.db('rooms').whereIn(
        'id',
        refused.map((event) => event.id),
      ),
    ).to.deep.equal([]);
  });

  it('writes row by row when PostgreSQL refuses one room of a batch, and dead-letters only that one', async () => {
    // A refusal the schema cannot foresee: a constraint of this test's own database.
    await stack.db.raw('alter table rooms add constraint test_refuses_spread_13 check (spread <> 13)');
    try {
      const [first, offender, last] = [await room(), await room(), await room()];
      offender.spread = 13;
      for (const event of [first, offender, last]) broker.publishJson(names.rooms, '', event, { messageId: event.id, type: 'room.v1' });
      const reasons = await deadReasons([offender.id]);
      expect(reasons.get(offender.id)).to.match(/^PostgreSQL refused the room: .*test_refuses_spread_13/);
      await eventually('both good rooms', async () => (await stack.db('rooms').whereIn('id', [first.id, last.id])).length === 2);
      expect(await stack.db('rooms').where({ id: offender.id }).first()).to.equal(undefined);
    } finally {
      await stack.db.raw('alter table rooms drop constraint test_refuses_spread_13');
    }
  });

  it('holds a room whose claim Redis lost until its matcher claims it again, then writes it', async () => {
    const event = { ...unclaimedRoom(), createdAt: new Date().toISOString() };
    await claimAsMatcher(stack.namespace, event);
    // Redis restarts empty: the pool's tickets and epoch are gone, the room is in flight.
    const redis = new Redis(REDIS_URL);
    const keys = redisKeys(stack.namespace);
    await redis.del(keys.poolEpoch('ffa3', 'global'), ...event.players.map((player) => keys.ticket('ffa3', 'global', player.ticketId)));
    redis.disconnect();
    broker.publishJson(names.rooms, '', event, { messageId: event.id, type: 'room.v1' });
    await eventually('the room held back, waiting for its claim', async () =>
      /^matchq_recorder_rooms_awaiting_claim_total\{[^}]*\} [1-9]/m.test(await (await fetch(`http://127.0.0.1:${stack.recorder!.port}/metrics`)).text()),
    );
    // What the pool's matcher does once it sees the new epoch (services/matcher/pool-worker.ts).
    await claimAsMatcher(stack.namespace, event);
    await eventually('the room row', () => stack.db('rooms').where({ id: event.id }).first());
    expect((await broker.drain(names.dead)).map((message) => message.properties.messageId)).to.not.include(event.id);
  });

  it('is idempotent on room id: a redelivered room is written once', async () => {
    const event = await room();
    broker.publishJson(names.rooms, '', event, { messageId: event.id, type: 'room.v1' });
    broker.publishJson(names.rooms, '', event, { messageId: event.id, type: 'room.v1' });
    const later = await room();
    broker.publishJson(names.rooms, '', later, { messageId: later.id, type: 'room.v1' });
    await eventually('the later room', () => stack.db('rooms').where({ id: later.id }).first());
    await eventually('the history queue drained', async () => (await broker.ready(names.history)) === 0);
    await stack.recorder!.stop();
    expect(await broker.ready(names.history)).to.equal(0);
    expect(Number((await stack.db('rooms').where({ id: event.id }).count({ n: '*' }))[0]!.n)).to.equal(1);
    expect(Number((await stack.db('room_players').where({ room_id: event.id }).count({ n: '*' }))[0]!.n)).to.equal(3);
  });
});
