import { expect } from 'chai';
import { Redis } from 'ioredis';
import { verifyJoinToken } from '../../packages/client/src/join-token.js';
import { redisKeys } from '../../common/names.js';
import type { MatchConfig } from '../../core/types.js';
import type { JoinFrame } from '../../packages/client/src/wire/index.js';
import { eventually } from '../support/broker.js';
import { FleetStub } from '../support/fleet-stub.js';
import { REDIS_URL } from '../support/namespace.js';
import { startStack, type Stack } from '../support/stack.js';

const JOIN: JoinFrame = { type: 'join', mode: 'ffa3', region: 'global' };
const SECRET = 'e2e-allocation-join-token-secret-0123456789';

/** Real players through the pipeline with an http allocator in it: gateway → matcher → allocator (fleet stub) → notifier → gateway. */
describe('the pipeline with an http allocator, end to end', function () {
  this.timeout(60_000);
  let fleet: FleetStub;
  let stack: Stack;
  let seq = 0;

  beforeEach(async () => {
    fleet = await FleetStub.start();
  });
  afterEach(async () => {
    await stack?.stop();
    await fleet.stop();
  });

  const start = (env: NodeJS.ProcessEnv = {}, match?: MatchConfig) =>
    startStack({
      tickMs: 200,
      match,
      env: {
        ALLOCATOR: 'http',
        ALLOCATOR_URL: fleet.url,
        JOIN_TOKEN_SECRET: SECRET,
        JOIN_TOKEN_TTL_SECONDS: '120',
        ALLOCATOR_TIMEOUT_MS: '1000',
        ALLOCATOR_BUDGET_MS: '2000',
        ...env,
      },
    }).then((started) => (stack = started));

  const READY: MatchConfig = {
    regions: ['global'],
    modes: {
      rc3: { teams: 1, teamSize: 3, window: { initial: 1000, perSecond: 0, max: 1000 }, maxWaitSeconds: 120, accept: { seconds: 10, cooldownSeconds: 0 } },
    },
  };

  /** Three players of close ratings queued in the mode. */
  async function threePlayers(mode = 'ffa3') {
    return Promise.all(
      [1500, 1510, 1520].map(async (rating) => {
        const player = await stack.addPlayer(`al${++seq}`, rating);
        const client = await stack.connect(player.token);
        client.send({ ...JOIN, mode });
        return { player, client, queued: await client.next('queued') };
      }),
    );
  }

  it('tells each player the server the fleet gave the room, with a join token a game server can verify', async () => {
    await start();
    fleet.answer({ status: 201, body: { address: '203.0.113.50:7777', region: 'eu-west' } });
    const players = await threePlayers();
    const matched = await Promise.all(players.map(({ client }) => client.next('matched', 20_000)));
    const roomId = matched[0]!.room.id;
    for (const [index, frame] of matched.entries()) {
      expect(frame.ticketId).to.equal(players[index]!.queued.ticketId);
      expect(frame.room.id).to.equal(roomId);
      expect(frame.room.server).to.deep.equal({ address: '203.0.113.50:7777', region: 'eu-west' });
      const claims = await verifyJoinToken(frame.joinToken!, SECRET);
      expect(claims).to.include({ sub: players[index]!.player.id, room: roomId });
      expect(claims.exp - claims.iat).to.equal(120);
    }
    expect(fleet.seen).to.have.length(1);
    expect(fleet.seen[0]!.headers['idempotency-key']).to.equal(roomId);
    expect(JSON.parse(fleet.seen[0]!.body)).to.include({ v: 1, id: roomId });
  });

  it('tells a player who reconnects while the room is being allocated `queued` (the ticket is live), then `matched` once it has its server', async () => {
    await start({ ALLOCATOR_TIMEOUT_MS: '8000', ALLOCATOR_BUDGET_MS: '10000' });
    fleet.answer({ status: 200, body: { address: '203.0.113.51:7000' }, delayMs: 2000 });
    const players = await threePlayers();
    await eventually('the fleet holding the room', () => fleet.seen.length === 1, 20_000);
    players[0]!.client.close();
    const back = await stack.connect(players[0]!.player.token);
    expect(await back.next('queued')).to.deep.include({ ticketId: players[0]!.queued.ticketId });
    const matched = await back.next('matched', 20_000).catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(back.frames)}`);
    });
    expect(matched.ticketId).to.equal(players[0]!.queued.ticketId);
    expect(matched.room.server).to.deep.equal({ address: '203.0.113.51:7000' });
    expect(matched.joinToken).to.be.a('string');
    expect(back.frames.filter((frame) => frame.type === 'matched')).to.have.length(1);
  });

  it('tells a player who reconnected while the room was being allocated that the fleet refused it (requeued), then the next room', async () => {
    await start({ ALLOCATOR_TIMEOUT_MS: '8000', ALLOCATOR_BUDGET_MS: '10000' });
    fleet.answer({ status: 409, body: { error: 'fleet full' }, delayMs: 2000 }, { status: 201, body: { address: '203.0.113.52:7000' } });
    const players = await threePlayers();
    await eventually('the fleet holding the room', () => fleet.seen.length === 1, 20_000);
    players[0]!.client.close();
    const back = await stack.connect(players[0]!.player.token);
    const ticketId = players[0]!.queued.ticketId;
    expect(await back.next('queued')).to.deep.include({ ticketId });
    const requeued = await back.next('requeued', 20_000).catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(back.frames)}`);
    });
    expect(requeued).to.deep.include({ ticketId, reason: 'allocation_failed' });
    const matched = await back.next('matched', 20_000);
    expect(matched.ticketId).to.equal(ticketId);
    expect(matched.room.server).to.deep.equal({ address: '203.0.113.52:7000' });
    expect(fleet.seen).to.have.length(2);
  });

  it('sends the tickets of a room the fleet refuses back to their pool (requeued allocation_failed), and ends them at the third refused room (left allocation_failed)', async () => {
    await start();
    fleet.answer({ status: 409, body: { error: 'fleet closed' } });
    const players = await threePlayers();
    await eventually(
      'three rooms of the same tickets refused',
      () => new Set(fleet.seen.map((seen) => seen.headers['idempotency-key'])).size === 3,
      30_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${fleet.seen.length} seen; ${JSON.stringify(players.map(({ client }) => client.frames.map((frame) => frame.type)))}`);
    });
    const tickets = players.map(({ queued }) => queued.ticketId);
    for (const seen of fleet.seen) {
      expect((JSON.parse(seen.body) as { players: { ticketId: string }[] }).players.map((seat) => seat.ticketId)).to.have.members(tickets);
    }
    const redis = new Redis(REDIS_URL);
    try {
      const keys = redisKeys(stack.namespace);
      await eventually('every ticket ended by its third failed allocation', async () => {
        const states = await Promise.all(tickets.map((ticketId) => redis.hget(keys.ticket('ffa3', 'global', ticketId), 'state')));
        return states.every((state) => state === 'allocation_failed');
      });
    } finally {
      redis.disconnect();
    }
    for (const { client, queued } of players) {
      // Requeued twice, then left: the contract's three tries.
      expect(await client.next('requeued', 10_000)).to.deep.include({ ticketId: queued.ticketId, reason: 'allocation_failed' });
      expect(await client.next('requeued', 10_000)).to.deep.include({ ticketId: queued.ticketId, reason: 'allocation_failed' });
      expect(await client.next('left', 10_000)).to.deep.include({ ticketId: queued.ticketId, reason: 'allocation_failed' });
    }
    expect(players.flatMap(({ client }) => client.frames.filter((frame) => frame.type === 'matched'))).to.deep.equal([]);
    // The ticket is over: the player may queue again at once.
    players[0]!.client.send(JOIN);
    expect((await players[0]!.client.next('queued')).ticketId).to.not.equal(players[0]!.queued.ticketId);
  });
  it('tells a player of a ready-check room who reconnected while it was being allocated that the fleet refused it (requeued), then the next room (`found`)', async () => {
    await start({ ALLOCATOR_TIMEOUT_MS: '8000', ALLOCATOR_BUDGET_MS: '10000' }, READY);
    fleet.answer({ status: 409, body: { error: 'fleet full' }, delayMs: 2000 }, { status: 201, body: { address: '203.0.113.61:7777' } });
    const players = await threePlayers('rc3');
    const found = await Promise.all(players.map(({ client }) => client.next('found', 20_000)));
    for (const { client } of players) client.send({ type: 'accept', roomId: found[0]!.roomId });
    await eventually('the fleet holding the room', () => fleet.seen.length === 1, 20_000);
    players[0]!.client.close();
    const back = await stack.connect(players[0]!.player.token);
    const ticketId = players[0]!.queued.ticketId;
    expect(await back.next('queued')).to.deep.include({ ticketId });
    expect(await back.next('requeued', 20_000)).to.deep.include({ ticketId, reason: 'allocation_failed' });
    const again = await back.next('found', 20_000);
    expect(again.ticketId).to.equal(ticketId);
    expect(again.roomId).to.not.equal(found[0]!.roomId);
  });

  it('allocates a room of a ready-check mode once every player accepted: found, ready, then matched with the server and a join token, same room id', async () => {
    await start({}, READY);
    fleet.answer({ status: 201, body: { address: '203.0.113.60:7777' } });
    const players = await threePlayers('rc3');
    const found = await Promise.all(players.map(({ client }) => client.next('found', 20_000)));
    const roomId = found[0]!.roomId;
    // Nothing is allocated for a room still waiting for its players' answers.
    expect(fleet.seen).to.have.length(0);
    for (const { client } of players) client.send({ type: 'accept', roomId });
    const matched = await Promise.all(players.map(({ client }) => client.next('matched', 20_000)));
    for (const [index, frame] of matched.entries()) {
      expect(frame.room.id).to.equal(roomId);
      expect(frame.room.server).to.deep.equal({ address: '203.0.113.60:7777' });
      expect(await verifyJoinToken(frame.joinToken!, SECRET)).to.include({ sub: players[index]!.player.id, room: roomId });
    }
    expect(fleet.seen).to.have.length(1);
    expect(fleet.seen[0]!.headers['idempotency-key']).to.equal(roomId);
  });
});
