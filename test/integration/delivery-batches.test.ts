import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { ConsumeMessage } from 'amqplib';
import { freePort } from '../../common/free-port.js';
import { Launcher, serviceSpec } from '../../common/launcher.js';
import { batchDelivery, decodeDeliveries, encode, roomDelivery, type Delivery } from '../../common/messages.js';
import { amqpNames, redisKeys } from '../../common/names.js';
import { startNotifierService } from '../../services/notifier/service.js';
import { PlainBroker, eventually } from '../support/broker.js';
import { claimAsMatcher } from '../support/claims.js';
import { REDIS_URL } from '../support/namespace.js';
import { PlayerClient } from '../support/player-client.js';
import { silent, startStack, type Stack } from '../support/stack.js';
import { roomWith } from '../support/rooms.js';

/** A room's seat as claimAsMatcher takes it (a type, not an interface, so it is a plain record). */
type Seat = { playerId: string; ticketId: string; name: string; rating: number; team: number; waitedMs: number };
interface Queued {
  client: PlayerClient;
  token: string;
  seat: Seat;
}

/**
 * Batched deliveries end to end, on the real broker and Redis: the notifier routes the rooms
 * that reach it together to each gateway in as few messages as one turn allows, a gateway tells
 * each player of a batch once whatever redelivers it, and a gateway killed mid-batch leaves every
 * player it had not recorded as told (the socket took the frame, then markTold) to hear the room
 * on reconnect. One killed between a socket write and its record tells that player again: at
 * least once, as for a single delivery.
 */
describe('batched deliveries: notifier to gateways', function () {
  this.timeout(90_000);
  let stack: Stack;
  let broker: PlainBroker;
  let names: ReturnType<typeof amqpNames>;
  let seq = 0;

  beforeEach(async () => {
    stack = await startStack({ without: ['matcher', 'recorder', 'notifier'], gateways: 2 });
    names = amqpNames(stack.namespace);
    broker = await PlainBroker.connect();
  });
  afterEach(async () => {
    await broker.close();
    await stack.stop();
  });

  const gatewayId = (index: number) => `${stack.namespace}-gw${index}`;

  async function queuedOn(connect: (token: string) => Promise<PlayerClient>): Promise<Queued> {
    const player = await stack.addPlayer(`b${++seq}`, 1500 + seq);
    const client = await connect(player.token);
    client.send({ type: 'join', mode: 'ffa3', region: 'global' });
    const { ticketId } = await client.next('queued');
    return { client, token: player.token, seat: { playerId: player.id, ticketId, name: player.name, rating: player.rating, team: 0, waitedMs: 5 } };
  }
  const queuedPlayer = (gateway: number) => queuedOn((token) => stack.connect(token, gateway));

  const roomOf = (seats: Seat[]) => roomWith(seats);
  type Room = ReturnType<typeof roomOf>;
  const withoutVersion = ({ v: _version, ...room }: Room) => room;

  /** The batch the notifier would send one gateway for these rooms. */
  const batchFor = (rooms: Room[]) =>
    batchDelivery(
      rooms.map((room) =>
        roomDelivery(
          room.players.map((seat) => seat.playerId),
          encode(room),
        ),
      ),
    );

  /**
   * Waits until a delivery sent after everything before it has reached each client (a `party`
   * frame: a session's deliveries are handled in order), then returns the `matched` frames it got.
   */
  async function matchedFramesAfterAll(gateway: number, players: Queued[]): Promise<Map<string, unknown[]>> {
    const marker: Delivery = { kind: 'party', playerIds: players.map(({ seat }) => seat.playerId), party: null };
    broker.publishJson(names.deliveries, gatewayId(gateway), marker);
    const frames = new Map<string, unknown[]>();
    for (const { client, seat } of players) {
      await client.next('party');
      frames.set(
        seat.playerId,
        client.frames.filter((frame) => frame.type === 'matched'),
      );
    }
    return frames;
  }

  it('tells every player of a batch of rooms in one AMQP message once, and a redelivered copy of the batch tells nobody again', async () => {
    const players = await Promise.all([0, 1, 2, 3, 4, 5].map(() => queuedPlayer(0)));
    const rooms = [roomOf(players.slice(0, 3).map(({ seat }) => seat)), roomOf(players.slice(3, 5).map(({ seat }) => seat)), roomOf([players[5]!.seat])];
    for (const room of rooms) await claimAsMatcher(stack.namespace, room);
    const batch = batchFor(rooms);
    broker.channel.publish(names.deliveries, gatewayId(0), batch, { contentType: 'application/json' });
    for (const room of rooms)
      for (const seat of room.players) {
        const { client } = players.find((player) => player.seat.playerId === seat.playerId)!;
        expect(await client.next('matched')).to.deep.equal({ type: 'matched', ticketId: seat.ticketId, room: withoutVersion(room) });
      }
    // The broker redelivers the batch (a gateway's retry, a notifier's second routing): claim-delivery.lua says told.
    broker.channel.publish(names.deliveries, gatewayId(0), batch, { contentType: 'application/json' });
    for (const [playerId, matched] of await matchedFramesAfterAll(0, players)) expect(matched, playerId).to.have.length(1);
  });

  it('routes rooms that reach the notifier together to each gateway in batches, singles to a gateway of the version before, every player told once', async () => {
    // Each room: two players on gateway 0, one on gateway 1.
    const rooms: Room[] = [];
    const players: Queued[][] = [[], []];
    for (let index = 0; index < 8; index++) {
      const seats = [await queuedPlayer(0), await queuedPlayer(0), await queuedPlayer(1)];
      players[0]!.push(seats[0]!, seats[1]!);
      players[1]!.push(seats[2]!);
      rooms.push(roomOf(seats.map(({ seat }) => seat)));
    }
    for (const room of rooms) await claimAsMatcher(stack.namespace, room);
    // Gateway 1 as a gateway of the version before wrote its players' entries: no word that it takes batches.
    const redis = new Redis(REDIS_URL);
    const keys = redisKeys(stack.namespace);
    try {
      for (const { seat } of players[1]!) {
        const entry = (await redis.get(keys.playerGateway(seat.playerId)))!;
        await redis.set(keys.playerGateway(seat.playerId), entry.split(' ').slice(0, 2).join(' '), 'EX', 600);
      }
    } finally {
      redis.disconnect();
    }
    const taps = [await broker.tap(names.deliveries, gatewayId(0)), await broker.tap(names.deliveries, gatewayId(1))];
    // The rooms wait in the notifier's queue, then reach a notifier together, as after a tick.
    for (const room of rooms) broker.publishJson(names.rooms, '', room, { messageId: room.id, type: 'room.v1' });
    await eventually('the rooms waiting for a notifier', async () => (await broker.ready(names.notifier)) === rooms.length);
    const notifier = await startNotifierService(stack.configFor(), silent);
    try {
      for (const gateway of [0, 1])
        for (const { client, seat } of players[gateway]!) {
          const room = rooms.find((candidate) => candidate.players.some((each) => each.playerId === seat.playerId))!;
          expect(await client.next('matched')).to.deep.equal({ type: 'matched', ticketId: seat.ticketId, room: withoutVersion(room) });
        }
      for (const gateway of [0, 1])
        for (const [playerId, matched] of await matchedFramesAfterAll(gateway, players[gateway]!)) expect(matched, playerId).to.have.length(1);
    } finally {
      await notifier.stop();
    }
    const routed = (messages: ConsumeMessage[]) =>
      messages
        .flatMap((message) => decodeDeliveries(message.content).deliveries)
        .filter((body) => body.kind === 'room')
        .map((body) => ({ roomId: body.room.id, playerIds: body.playerIds }));
    const roomsFor = (gateway: number) =>
      rooms.map((room) => ({
        roomId: room.id,
        playerIds: room.players.map((seat) => seat.playerId).filter((playerId) => players[gateway]!.some((player) => player.seat.playerId === playerId)),
      }));
    for (const gateway of [0, 1]) await eventually('every routed room tapped', () => routed(taps[gateway]!).length >= rooms.length);
    // Each room reached each gateway once, with that gateway's players only.
    for (const gateway of [0, 1]) expect(routed(taps[gateway]!)).to.have.deep.members(roomsFor(gateway));
    // Gateway 0 takes batches: the rooms that came together shared messages. Gateway 1 got each room on its own.
    const ours = taps[0]!.filter((message) => JSON.parse(message.content.toString()).kind !== 'party');
    expect(ours.length).to.be.below(rooms.length);
    expect(ours.some((message) => JSON.parse(message.content.toString()).kind === 'batch')).to.equal(true);
    expect(taps[1]!.map((message) => JSON.parse(message.content.toString()).kind).filter((kind) => kind !== 'party')).to.deep.equal(rooms.map(() => 'room'));
  });

  it('leaves every player a gateway killed mid-batch had not recorded as told to hear the room on reconnect, and tells none it had recorded again', async () => {
    const launcher = new Launcher({
      env: { ...process.env, MATCHQ_NAMESPACE: stack.namespace, DATABASE_URL: stack.config.DATABASE_URL, LOG_LEVEL: 'warn' },
      logFile: join(tmpdir(), `${stack.namespace}-killed-gateway.log`),
    });
    const port = await freePort();
    const doomed = `${stack.namespace}-gwk`;
    launcher.start(serviceSpec('producer', 'doomed', port, { id: doomed }));
    const redis = new Redis(REDIS_URL);
    const keys = redisKeys(stack.namespace);
    try {
      await launcher.waitReady('doomed');
      const players: Queued[] = [];
      for (let index = 0; index < 24; index++)
        players.push(await queuedOn((token) => PlayerClient.connect(`ws://127.0.0.1:${port}/ws?token=${encodeURIComponent(token)}`)));
      const rooms = players.map(({ seat }) => roomOf([seat]));
      for (const room of rooms) await claimAsMatcher(stack.namespace, room);
      broker.channel.publish(names.deliveries, doomed, batchFor(rooms), { contentType: 'application/json' });
      // kill -9 as soon as the first player heard its room: the rest of the batch is wherever it was.
      await Promise.race(players.map(({ client }) => client.next('matched')));
      launcher.kill('doomed');
      await Promise.all(players.map(({ client }) => client.closeCode()));

      // What the dead gateway recorded as told (after the socket took the frame) before it died.
      const told = new Set<string>();
      for (const { seat } of players) if ((await redis.hget(keys.ticket('ffa3', 'global', seat.ticketId), 'delivered')) === '1') told.add(seat.playerId);
      for (const { client, token, seat } of players) {
        const again = await stack.connect(token, 0);
        // A leave is answered after the reconnect's resume (one session chain): not_queued, as the ticket ended.
        again.send({ type: 'leave' });
        expect(await again.next('error')).to.include({ code: 'not_queued' });
        const matched = again.frames.filter((frame) => frame.type === 'matched');
        if (told.has(seat.playerId)) expect(matched, `${seat.playerId} was told before the kill`).to.deep.equal([]);
        else {
          expect(matched, `${seat.playerId} was not told before the kill`).to.have.length(1);
          expect(matched[0]).to.deep.include({ ticketId: seat.ticketId });
        }
        // Everyone heard the room: from the killed gateway, or on reconnect.
        expect(client.frames.some((frame) => frame.type === 'matched') || matched.length === 1, seat.playerId).to.equal(true);
      }
    } finally {
      redis.disconnect();
      await launcher.stopAll();
    }
  });
});
