import { expect } from 'chai';
import type { ConsumeMessage } from 'amqplib';
import { amqpNames } from '../../common/names.js';
import type { MatchConfig } from '../../core/types.js';
import { startMatcherService } from '../../services/matcher/service.js';
import { PlainBroker, eventually } from '../support/broker.js';
import type { FoundFrame } from '../../packages/client/src/wire/index.js';
import type { PlayerClient } from '../support/player-client.js';
import { silent, startStack, type Stack } from '../support/stack.js';

const MATCH: MatchConfig = {
  regions: ['eu'],
  modes: {
    rc3: { teams: 1, teamSize: 3, window: { initial: 1000, perSecond: 0, max: 1000 }, maxWaitSeconds: 120, accept: { seconds: 2, cooldownSeconds: 5 } },
  },
};
const JOIN = { type: 'join', mode: 'rc3', region: 'eu' } as const;

/** Real players through gateways, matcher and notifier, with the ready check of contract v1.1 on. */
describe('ready check, end to end', () => {
  let stack: Stack;
  let broker: PlainBroker;
  let analyst: ConsumeMessage[];
  let seq = 0;

  beforeEach(async () => {
    stack = await startStack({ tickMs: 100, gateways: 2, match: MATCH, without: ['recorder'] });
    broker = await PlainBroker.connect();
    analyst = await broker.tap(amqpNames(stack.namespace).rooms);
  });
  afterEach(async () => {
    await broker.close();
    await stack.stop();
  });

  async function players(count: number) {
    const signed = [];
    for (let index = 0; index < count; index++) {
      const player = await stack.addPlayer(`r${++seq}`, 1500 + index);
      signed.push({ player, client: await stack.connect(player.token, index % 2) });
    }
    return signed;
  }

  /** Everyone joins and is proposed the same room; returns the found frames. */
  async function proposed(clients: PlayerClient[]): Promise<FoundFrame[]> {
    for (const client of clients) {
      client.send(JOIN);
      await client.next('queued');
    }
    const found = await Promise.all(clients.map((client) => client.next('found')));
    expect(new Set(found.map((frame) => frame.roomId)).size).to.equal(1);
    return found;
  }

  it('proposes a room (found to every player), tells ready after each accept, and publishes it only once all accepted, same id', async () => {
    const seats = await players(3);
    const clients = seats.map((seat) => seat.client);
    const found = await proposed(clients);
    const roomId = found[0]!.roomId;
    for (const [index, frame] of found.entries()) {
      expect(frame.ticketId).to.be.a('string');
      expect(frame.expiresInMs).to.be.within(1, 2000);
      expect(frame.players.map((player) => player.id).sort()).to.deep.equal(seats.map((seat) => seat.player.id).sort());
      expect(frame.players.map((player) => player.name)).to.include(seats[index]!.player.name);
    }
    clients[0]!.send({ type: 'accept', roomId, id: 'a1' });
    expect(await clients[0]!.next('ready')).to.deep.equal({ type: 'ready', roomId, accepted: 1, total: 3, id: 'a1' });
    expect(await clients[1]!.next('ready')).to.deep.equal({ type: 'ready', roomId, accepted: 1, total: 3 });
    clients[0]!.send({ type: 'accept', roomId, id: 'again' });
    expect(await clients[0]!.next('error')).to.include({ code: 'not_pending', id: 'again' });
    clients[1]!.send({ type: 'accept', roomId: 'no-such-room', id: 'wrong' });
    expect(await clients[1]!.next('error')).to.include({ code: 'not_pending', id: 'wrong' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(analyst, 'no room on matchq.rooms before everyone accepted').to.have.length(0);
    clients[1]!.send({ type: 'accept', roomId });
    clients[2]!.send({ type: 'accept', roomId });
    const matched = await Promise.all(clients.map((client) => client.next('matched')));
    for (const frame of matched) expect(frame.room.id).to.equal(roomId);
    await eventually('the final room on matchq.rooms', () => analyst.length === 1);
    expect(analyst[0]!.properties.messageId).to.equal(roomId);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(analyst).to.have.length(1);
  });

  it('tells each player ready counts that never go down, the last one before matched all accepted, when everyone accepts at once', async () => {
    const clients = (await players(3)).map((seat) => seat.client);
    const roomId = (await proposed(clients))[0]!.roomId;
    // Three accepts within a few ms: their broadcasts cross each other on the way to the gateways.
    for (const client of clients) client.send({ type: 'accept', roomId });
    await Promise.all(clients.map((client) => client.next('matched')));
    for (const client of clients) {
      const cut = client.frames.findIndex((frame) => frame.type === 'matched');
      const counts = client.frames.slice(0, cut).flatMap((frame) => (frame.type === 'ready' && frame.roomId === roomId ? [frame.accepted] : []));
      expect(counts.length, 'its own accept is answered').to.be.at.least(1);
      expect(counts, 'never down').to.deep.equal([...counts].sort((a, b) => a - b));
      expect(counts.at(-1)).to.equal(3);
    }
  });

  it('dissolves on a decline: the decliner leaves (declined, then cooling_down), the others are requeued and matched again, their wait kept', async () => {
    const seats = await players(4);
    const [a, b, c, d] = seats.map((seat) => seat.client);
    const found = await proposed([a!, b!, c!]);
    const roomId = found[0]!.roomId;
    a!.send({ type: 'accept', roomId });
    await a!.next('ready');
    b!.send({ type: 'decline', roomId, id: 'no' });
    expect(await b!.next('left')).to.deep.equal({ type: 'left', ticketId: found[1]!.ticketId, reason: 'declined', id: 'no' });
    for (const [client, frame] of [
      [a!, found[0]!],
      [c!, found[2]!],
    ] as const)
      expect(await client.next('requeued')).to.deep.equal({ type: 'requeued', ticketId: frame.ticketId, reason: 'declined' });
    await a!.next('searching');
    b!.send({ ...JOIN, id: 'again' });
    const cooling = await b!.next('error');
    expect(cooling).to.include({ code: 'cooling_down', id: 'again' });
    expect(cooling.code === 'cooling_down' && cooling.retryInMs).to.be.within(1, 5000);
    d!.send(JOIN);
    await d!.next('queued');
    const second = await Promise.all([a!, c!, d!].map((client) => client.next('found')));
    const secondId = second[0]!.roomId;
    expect(secondId).to.not.equal(roomId);
    expect(second[0]!.ticketId, 'same ticket, back in its pool').to.equal(found[0]!.ticketId);
    for (const client of [a!, c!, d!]) client.send({ type: 'accept', roomId: secondId });
    const rooms = await Promise.all([a!, c!, d!].map((client) => client.next('matched')));
    const room = rooms[0]!.room;
    const seatA = room.players.find((player) => player.ticketId === found[0]!.ticketId)!;
    expect(seatA.waitedMs, 'the wait counts from the original join').to.be.greaterThan(200);
  });

  it('drops a found older than the one told for the same ticket (a delivery retried or overtaken): the player is asked about the room that waits, not one long gone', async () => {
    const seats = await players(4);
    const [a, b, c, d] = seats.map((seat) => seat.client);
    const found = await proposed([a!, b!, c!]);
    const firstDeadline = Date.now() + found[0]!.expiresInMs;
    b!.send({ type: 'decline', roomId: found[0]!.roomId });
    await a!.next('requeued');
    d!.send(JOIN);
    await d!.next('queued');
    const second = await a!.next('found');
    const secondDeadline = Date.now() + second.expiresInMs;
    const gateway = `${stack.namespace}-gw0`;
    const proposalOf = (frame: FoundFrame, deadline: number) => ({
      v: 1,
      roomId: frame.roomId,
      mode: 'rc3',
      region: 'eu',
      deadline,
      players: [{ playerId: seats[0]!.player.id, ticketId: frame.ticketId, name: seats[0]!.player.name }],
    });
    // The first room's found arriving late, then the waiting room's again: one queue, in this order.
    const seen = a!.frames.length;
    broker.publishJson(`${stack.namespace}.deliveries`, gateway, {
      kind: 'found',
      proposal: proposalOf(found[0]!, firstDeadline),
      playerIds: [seats[0]!.player.id],
    });
    broker.publishJson(`${stack.namespace}.deliveries`, gateway, {
      kind: 'found',
      proposal: proposalOf(second, secondDeadline),
      playerIds: [seats[0]!.player.id],
    });
    expect((await a!.next('found')).roomId).to.equal(second.roomId);
    const founds = a!.frames.slice(seen).filter((frame) => frame.type === 'found');
    expect(founds.map((frame) => (frame as FoundFrame).roomId)).to.deep.equal([second.roomId]);
  });

  it('dissolves when someone stays silent: the silent leave with accept_timeout (and cool down), those who accepted are requeued', async () => {
    const seats = await players(3);
    const [a, b, c] = seats.map((seat) => seat.client);
    const found = await proposed([a!, b!, c!]);
    const roomId = found[0]!.roomId;
    a!.send({ type: 'accept', roomId });
    b!.send({ type: 'accept', roomId });
    expect(await c!.next('left', 5000)).to.deep.equal({ type: 'left', ticketId: found[2]!.ticketId, reason: 'accept_timeout' });
    for (const client of [a!, b!]) expect((await client.next('requeued', 5000)).reason).to.equal('accept_timeout');
    c!.send({ type: 'accept', roomId, id: 'late' });
    expect(await c!.next('error')).to.include({ code: 'not_pending', id: 'late' });
    c!.send(JOIN);
    expect((await c!.next('error')).code).to.equal('cooling_down');
    // The matcher counts a dissolution once Redis settled it, after the players were told: wait for it.
    const dissolvedLine = /^matchq_proposals_dissolved_total\{pool="rc3\.eu",reason="accept_timeout"[^}]*\} 1$/m;
    const metrics = await eventually('the dissolution counted', async () => {
      const text = await fetch(`http://127.0.0.1:${stack.matcher!.port}/metrics`).then((res) => res.text());
      return dissolvedLine.test(text) && text;
    });
    expect(metrics).to.match(/^matchq_proposals_total\{pool="rc3\.eu"[^}]*\} 1$/m);
  });

  it('treats a leave while the room is pending as a decline, even after accepting', async () => {
    const [a, b, c] = (await players(3)).map((seat) => seat.client);
    const found = await proposed([a!, b!, c!]);
    const roomId = found[0]!.roomId;
    a!.send({ type: 'accept', roomId });
    await a!.next('ready');
    a!.send({ type: 'leave', id: 'bye' });
    expect(await a!.next('left')).to.include({ reason: 'declined', id: 'bye' });
    for (const client of [b!, c!]) expect((await client.next('requeued')).reason).to.equal('declined');
  });

  it('sends found again, with the time left, to a player who reconnects while the room is pending', async () => {
    const seats = await players(3);
    const [a, b, c] = seats.map((seat) => seat.client);
    const found = await proposed([a!, b!, c!]);
    a!.close();
    const again = await stack.connect(seats[0]!.player.token, 1);
    expect((await again.next('queued')).ticketId).to.equal(found[0]!.ticketId);
    const refound = await again.next('found');
    expect(refound).to.include({ roomId: found[0]!.roomId, ticketId: found[0]!.ticketId });
    expect(refound.expiresInMs).to.be.at.most(found[0]!.expiresInMs);
    again.send({ type: 'accept', roomId: found[0]!.roomId, id: 1 });
    expect(await again.next('ready')).to.include({ accepted: 1, total: 3, id: 1 });
  });

  it('a matcher that takes the pool over finishes the proposals of the one that stopped: the final room is published, the silent one dissolved', async () => {
    const [a, b, c] = (await players(3)).map((seat) => seat.client);
    const found = await proposed([a!, b!, c!]);
    const roomId = found[0]!.roomId;
    await stack.matcher!.stop();
    // Redis decides the answers while no matcher runs.
    for (const client of [a!, b!, c!]) {
      client.send({ type: 'accept', roomId });
      await client.next('ready');
    }
    const next = await startMatcherService(stack.configFor({ MATCHER_ID: `${stack.namespace}-m1` }), silent);
    try {
      const matched = await Promise.all([a!, b!, c!].map((client) => client.next('matched')));
      for (const frame of matched) expect(frame.room.id).to.equal(roomId);
      await eventually('the room published once', () => analyst.length === 1);
      // Then a proposal nobody answers, with no matcher running past its deadline.
      const [d, e, f] = (await players(3)).map((seat) => seat.client);
      const second = await proposed([d!, e!, f!]);
      await next.stop();
      await new Promise((resolve) => setTimeout(resolve, 2200));
      const last = await startMatcherService(stack.configFor({ MATCHER_ID: `${stack.namespace}-m2` }), silent);
      try {
        for (const [index, client] of [d!, e!, f!].entries())
          expect(await client.next('left', 8000)).to.deep.equal({ type: 'left', ticketId: second[index]!.ticketId, reason: 'accept_timeout' });
      } finally {
        await last.stop();
      }
    } finally {
      await next.stop();
    }
    expect(analyst).to.have.length(1);
  });
});
