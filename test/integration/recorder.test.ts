import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { amqpNames } from '../../common/names.js';
import { PlainBroker, eventually } from '../support/broker.js';
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

  const room = () => ({
    v: 1, id: randomUUID(), mode: 'ffa3', region: 'global', createdAt: '2026-11-25T10:00:00.000Z', spread: 37, imbalance: 0,
    players: [1512, 1490, 1475].map((rating, index) => ({ playerId: randomUUID(), ticketId: randomUUID(), name: `p${index}`, rating, team: 0, waitedMs: 1000 + index })),
  });

  it('writes a room and its seats to PostgreSQL', async () => {
    const event = room();
    broker.publishJson(names.rooms, '', event, { messageId: event.id, type: 'room.v1' });
    const row = await eventually('the room row', () => stack.db('rooms').where({ id: event.id }).first());
    expect(row).to.include({ mode: 'ffa3', region: 'global', spread: 37, imbalance: 0, size: 3 });
    expect(new Date(row.created_at).toISOString()).to.equal(event.createdAt);
    expect(row.event).to.deep.equal(event);
    const seats = await stack.db('room_players').where({ room_id: event.id }).orderBy('waited_ms');
    expect(seats.map((seat) => [seat.player_id, seat.rating, seat.waited_ms])).to.deep.equal(event.players.map((player) => [player.playerId, player.rating, player.waitedMs]));
  });

  it('moves a room it cannot read to matchq.dead with the reason, and keeps writing', async () => {
    broker.publishJson(names.rooms, '', '{"v":1,', { type: 'room.v1' });
    const [dead] = await eventually('a dead letter', () => broker.drain(names.dead).then((messages) => messages.length > 0 && messages));
    expect(dead!.properties.headers!['x-matchq-reason']).to.equal('not JSON');
    const event = room();
    broker.publishJson(names.rooms, '', event, { messageId: event.id, type: 'room.v1' });
    await eventually('the next room row', () => stack.db('rooms').where({ id: event.id }).first());
  });

  it('is idempotent on room id: a redelivered room is written once', async () => {
    const event = room();
    broker.publishJson(names.rooms, '', event, { messageId: event.id, type: 'room.v1' });
    broker.publishJson(names.rooms, '', event, { messageId: event.id, type: 'room.v1' });
    const later = room();
    broker.publishJson(names.rooms, '', later, { messageId: later.id, type: 'room.v1' });
    await eventually('the later room', () => stack.db('rooms').where({ id: later.id }).first());
    await eventually('the history queue drained', async () => (await broker.ready(names.history)) === 0);
    await stack.recorder!.stop();
    expect(await broker.ready(names.history)).to.equal(0);
    expect(Number((await stack.db('rooms').where({ id: event.id }).count({ n: '*' }))[0]!.n)).to.equal(1);
    expect(Number((await stack.db('room_players').where({ room_id: event.id }).count({ n: '*' }))[0]!.n)).to.equal(3);
  });
});
