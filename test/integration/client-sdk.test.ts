import { expect } from 'chai';
import { WebSocket } from 'ws';
import { connect, isMatchqError, MatchqConnectionError, type ClientEvents, type MatchqClient } from '../../packages/client/src/index.js';
import type { MatchConfig } from '../../core/types.js';
import { eventually } from '../support/broker.js';
import { startStack, type Stack } from '../support/stack.js';

/** @matchq/client, from its source, against the real pipeline (the tarball test plays the packed one). */
describe('@matchq/client against the real pipeline', () => {
  let stack: Stack;
  let seq = 0;
  const clients: MatchqClient[] = [];
  const player = (rating = 1500) => stack.addPlayer(`sdk${++seq}`, rating);
  const open = (token: string, gateway = 0) => {
    const client = connect(stack.gatewayUrl(gateway), token, { WebSocket, reconnect: { baseMs: 50, maxMs: 200 } });
    clients.push(client);
    return client;
  };
  /** Every event of `type` the client emits from now on. */
  const record = <K extends keyof ClientEvents>(client: MatchqClient, type: K) => {
    const seen: ClientEvents[K][] = [];
    client.on(type, (event) => seen.push(event));
    return seen;
  };

  before(async () => {
    stack = await startStack({ tickMs: 100, gateways: 2 });
  });
  afterEach(() => clients.splice(0).forEach((client) => client.close()));
  after(async () => {
    await stack?.stop();
  });

  it('signs in, joins, refuses a second join with already_queued, leaves, and refuses a second leave with not_queued', async () => {
    const ada = await player(1710);
    const client = open(ada.token);
    const hello = await client.ready();
    expect(hello.player).to.deep.equal({ id: ada.id, name: ada.name, rating: 1710, ratings: { ffa3: 1710 } });
    const queued = await client.join('ffa3', 'global');
    expect(queued).to.include({ type: 'queued', mode: 'ffa3', region: 'global', rating: 1710 });
    expect(client.ticket).to.deep.equal({ ticketId: queued.ticketId, mode: 'ffa3', region: 'global', rating: 1710 });
    const second = await client.join('ffa3', 'global').catch((error: unknown) => error);
    expect(isMatchqError(second, 'already_queued'), String(second)).to.equal(true);
    const left = await client.leave();
    expect(left).to.include({ type: 'left', ticketId: queued.ticketId, reason: 'cancelled' });
    expect(client.ticket).to.equal(null);
    const again = await client.leave().catch((error: unknown) => error);
    expect(isMatchqError(again, 'not_queued')).to.equal(true);
    const unknown = await client.join('chess', 'global').catch((error: unknown) => error);
    expect(isMatchqError(unknown, 'unknown_mode') && unknown.message).to.match(/unknown_mode: unknown mode "chess"/);
  });

  it('reconnects after the socket drops, resumes the live ticket and gets its room', async () => {
    const [ada, bob, cyd] = [await player(), await player(), await player()];
    const client = open(ada.token);
    const closes = record(client, 'close');
    const queuedFrames = record(client, 'queued');
    const matched = new Promise<ClientEvents['matched']>((resolve) => client.once('matched', resolve));
    const { ticketId } = await client.join('ffa3', 'global');
    // The network drops the connection: the gateway's end goes away without a close frame.
    stack.gateways[0]!.gateway.sessions.get(ada.id)!.socket.terminate();
    await eventually('the resumed queued', () => queuedFrames.length === 2);
    expect(closes[0]!.reconnectInMs, 'a reconnect was planned').to.be.a('number');
    expect(queuedFrames[1]!.ticketId).to.equal(ticketId);
    expect(client.ticket?.ticketId).to.equal(ticketId);
    const others = [open(bob.token, 1), open(cyd.token, 1)];
    await Promise.all(others.map((other) => other.join('ffa3', 'global')));
    const room = await matched;
    expect(room.ticketId).to.equal(ticketId);
    expect(room.room.players.map((seat) => seat.playerId).sort()).to.deep.equal([ada.id, bob.id, cyd.id].sort());
    expect(client.ticket).to.equal(null);
  });

  it('stops, without reconnecting, when a newer connection of the player signs in (4000)', async () => {
    const ada = await player();
    const older = open(ada.token);
    await older.ready();
    const closes = record(older, 'close');
    const newer = open(ada.token, 1);
    await newer.ready();
    await eventually('the older client closed', () => closes.length === 1);
    expect(closes[0]).to.deep.include({ code: 4000 });
    expect(closes[0]!.reconnectInMs).to.equal(undefined);
    const refused = await older.join('ffa3', 'global').catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(MatchqConnectionError).and.include({ reason: 'replaced' });
  });

  it('tells a wrong token apart from a gateway that is down: ready() rejects as unauthorized', async () => {
    const client = open('not-a-token');
    const closes = record(client, 'close');
    const error = await client.ready().catch((failure: unknown) => failure);
    expect(error).to.be.instanceOf(MatchqConnectionError).and.include({ reason: 'unauthorized' });
    expect(closes).to.have.length(1);
    expect(closes[0]).to.include({ status: 401 }).and.not.have.property('reconnectInMs');
  });
});

describe('@matchq/client with the ready check on', () => {
  let stack: Stack;
  const clients: MatchqClient[] = [];
  const MATCH: MatchConfig = {
    regions: ['eu'],
    modes: {
      rc3: { teams: 1, teamSize: 3, window: { initial: 1000, perSecond: 0, max: 1000 }, maxWaitSeconds: 120, accept: { seconds: 5, cooldownSeconds: 30 } },
    },
  };

  before(async () => {
    stack = await startStack({ tickMs: 100, match: MATCH, without: ['recorder'] });
  });
  afterEach(() => clients.splice(0).forEach((client) => client.close()));
  after(async () => {
    await stack?.stop();
  });

  it('accepts and declines a proposed room: ready with the counts, left declined, requeued for the others, then cooling_down with retryInMs', async () => {
    const players = [await stack.addPlayer('rc-a'), await stack.addPlayer('rc-b'), await stack.addPlayer('rc-c')];
    const [ada, bob, cyd] = players.map((player) => {
      const client = connect(stack.gatewayUrl(), player.token, { WebSocket });
      clients.push(client);
      return client;
    }) as [MatchqClient, MatchqClient, MatchqClient];
    const found = [ada, bob, cyd].map((client) => new Promise<ClientEvents['found']>((resolve) => client.once('found', resolve)));
    const requeued = [ada, bob].map((client) => new Promise<ClientEvents['requeued']>((resolve) => client.once('requeued', resolve)));
    for (const client of [ada, bob, cyd]) await client.join('rc3', 'eu');
    const { roomId } = (await Promise.all(found))[0]!;
    expect(await ada.accept(roomId)).to.include({ type: 'ready', roomId, accepted: 1, total: 3 });
    const again = await ada.accept(roomId).catch((error: unknown) => error);
    expect(isMatchqError(again, 'not_pending')).to.equal(true);
    const left = await cyd.decline(roomId);
    expect(left).to.include({ type: 'left', reason: 'declined' });
    expect(cyd.ticket).to.equal(null);
    for (const frame of await Promise.all(requeued)) expect(frame.reason).to.equal('declined');
    expect(ada.ticket, 'the others keep their ticket').to.not.equal(null);
    const cooling = await cyd.join('rc3', 'eu').catch((error: unknown) => error);
    expect(isMatchqError(cooling, 'cooling_down') && cooling.retryInMs).to.be.within(1, 30_000);
  });
});

describe('@matchq/client with parties on', () => {
  let stack: Stack;
  const clients: MatchqClient[] = [];
  const MATCH: MatchConfig = {
    regions: ['eu'],
    modes: {
      duo: { teams: 2, teamSize: 2, window: { initial: 1000, perSecond: 0, max: 1000 }, maxWaitSeconds: 120, party: { maxSize: 2, aggregate: 'avg' } },
    },
  };

  before(async () => {
    stack = await startStack({ tickMs: 100, match: MATCH, without: ['recorder'] });
  });
  afterEach(() => clients.splice(0).forEach((client) => client.close()));
  after(async () => {
    await stack?.stop();
  });

  it('creates, joins, kicks and leaves a party, and the leader queues one ticket for both', async () => {
    const players = [await stack.addPlayer('pa-a'), await stack.addPlayer('pa-b'), await stack.addPlayer('pa-c')];
    const [ada, bob, cyd] = players.map((player) => {
      const client = connect(stack.gatewayUrl(), player.token, { WebSocket });
      clients.push(client);
      return client;
    }) as [MatchqClient, MatchqClient, MatchqClient];
    const created = await ada.createParty();
    expect(created.party).to.include({ leader: players[0]!.id });
    const code = created.party!.code;
    expect(code).to.match(/^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{6}$/);
    const joined = await bob.joinParty(code);
    expect(joined.party!.members.map((member) => member.id)).to.deep.equal([players[0]!.id, players[1]!.id]);
    const wrong = await cyd.joinParty('ZZZZZZ').catch((error: unknown) => error);
    expect(isMatchqError(wrong, 'party_not_found')).to.equal(true);
    const notLeader = await bob.kickFromParty(players[0]!.id).catch((error: unknown) => error);
    expect(isMatchqError(notLeader, 'not_leader')).to.equal(true);

    const bobQueued = new Promise<ClientEvents['queued']>((resolve) => bob.once('queued', resolve));
    const queued = await ada.join('duo', 'eu');
    expect((await bobQueued).ticketId, 'one ticket for the party').to.equal(queued.ticketId);
    expect((await ada.leave()).reason).to.equal('cancelled');

    const kicked = await ada.kickFromParty(players[1]!.id);
    expect(kicked.party!.members.map((member) => member.id)).to.deep.equal([players[0]!.id]);
    expect((await ada.leaveParty()).party).to.equal(null);
  });
});
