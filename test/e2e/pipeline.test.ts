import type { JoinFrame, Room } from '../../packages/client/src/wire/index.js';
import { expect } from 'chai';
import type { ConsumeMessage } from 'amqplib';
import { amqpNames } from '../../common/names.js';
import { PlainBroker, eventually } from '../support/broker.js';
import type { PlayerClient, ServerFrame } from '../support/player-client.js';
import { startStack, type Stack } from '../support/stack.js';

const JOIN: JoinFrame = { type: 'join', mode: 'ffa3', region: 'global' };

/** Real WebSocket players through gateway → broker → matcher → rooms → notifier → gateway. */
describe('the whole pipeline, end to end', () => {
  let stack: Stack;
  let broker: PlainBroker;
  let analyst: ConsumeMessage[];
  let seq = 0;

  beforeEach(async () => {
    stack = await startStack({ tickMs: 250, gateways: 2 });
    broker = await PlainBroker.connect();
    // An analyst's own queue on the rooms exchange, bound before any room exists.
    analyst = await broker.tap(amqpNames(stack.namespace).rooms);
  });
  afterEach(async () => {
    await broker.close();
    await stack.stop();
  });

  async function signIn(rating: number, gateway = seq % 2) {
    const player = await stack.addPlayer(`e${++seq}`, rating);
    return { player, client: await stack.connect(player.token, gateway) };
  }

  it('matches 30 players in three rating clusters within their cluster, no one twice, and every room reaches the analyst and the history', async () => {
    const clusters = [
      { centre: 1000, size: 12 },
      { centre: 1800, size: 9 },
      { centre: 2600, size: 9 },
    ];
    const players = [];
    for (const [cluster, { centre, size }] of clusters.entries()) {
      for (let index = 0; index < size; index++) players.push({ cluster, ...(await signIn(centre + (index % 5) * 7)) });
    }
    players.forEach(({ client }) => client.send(JOIN));
    const outcomes = await Promise.all(
      players.map(async ({ client }) => ({ queued: await client.next('queued'), matched: await client.next('matched', 20_000) })),
    );

    const rooms = new Map<string, Room>();
    outcomes.forEach(({ queued, matched }) => {
      expect(matched.ticketId).to.equal(queued.ticketId);
      const room = matched.room;
      rooms.set(room.id, room);
    });
    const clusterOf = new Map(players.map(({ player, cluster }) => [player.id, cluster]));
    const seated = [...rooms.values()].flatMap((room) => room.players.map((seat) => seat.playerId));
    expect(seated).to.have.length(30);
    expect(new Set(seated).size, 'no player in two rooms').to.equal(30);
    for (const room of rooms.values()) {
      expect(new Set(room.players.map((seat) => clusterOf.get(seat.playerId))).size, 'one cluster a room').to.equal(1);
      const ratings = room.players.map((seat) => seat.rating);
      expect(room.spread).to.equal(Math.max(...ratings) - Math.min(...ratings));
      // The rule: the spread is within every player's window (0 + 50 per second) at the tick.
      for (const seat of room.players) expect(room.spread).to.be.at.most((50 * seat.waitedMs) / 1000 + 1);
    }
    await eventually('every room on the analyst queue', () => analyst.length >= rooms.size);
    expect(analyst.map((message) => message.properties.messageId).sort()).to.deep.equal([...rooms.keys()].sort());
    await eventually('every room in the history', async () => Number((await stack.db('rooms').count({ n: '*' }))[0]!.n) === rooms.size);
    players.forEach(({ client }) => expect(client.frames.filter((frame) => frame.type === 'matched')).to.have.length(1));
  });

  it('delivers a room formed while a player was away when they reconnect, to any gateway', async () => {
    const away = await signIn(1500, 0);
    away.client.send(JOIN);
    const { ticketId } = await away.client.next('queued');
    away.client.close();
    await away.client.closeCode();
    const others = [await signIn(1500), await signIn(1500)];
    others.forEach(({ client }) => client.send(JOIN));
    const [first] = await Promise.all(others.map(({ client }) => client.next('matched')));
    const back = await stack.connect(away.player.token, 1);
    const matched = await back.next('matched');
    expect(matched.ticketId).to.equal(ticketId);
    expect(matched.room.id).to.equal(first!.room.id);
  });

  it('lets exactly one of a leave and a racing room win: never both left and matched', async () => {
    const ledger: ServerFrame[][] = [];
    for (let round = 0; round < 6; round++) {
      const trio = [await signIn(1500), await signIn(1500), await signIn(1500)];
      trio.forEach(({ client }) => client.send(JOIN));
      await Promise.all(trio.map(({ client }) => client.next('queued')));
      // Spread the leaves over the tick so some land before the room and some after.
      await new Promise((resolve) => setTimeout(resolve, round * 45));
      trio[0]!.client.send({ type: 'leave' });
      const leaver: PlayerClient = trio[0]!.client;
      // The answer to the leave (left, or not_queued when the room won) may come a moment after matched.
      await eventually(
        'the leaver to hear an end and the answer to its leave',
        () =>
          leaver.frames.some((frame) => frame.type === 'left') ||
          (leaver.frames.some((frame) => frame.type === 'matched') && leaver.frames.some((frame) => frame.type === 'error')),
      );
      ledger.push(leaver.frames);
    }
    for (const frames of ledger) {
      const ends = frames.filter((frame) => frame.type === 'left' || frame.type === 'matched');
      expect(ends, JSON.stringify(frames)).to.have.length(1);
      if (ends[0]!.type === 'matched') expect(frames.some((frame) => frame.type === 'error' && frame.code === 'not_queued')).to.equal(true);
    }
  });
});
