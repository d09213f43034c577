import type { JoinFrame } from '../../packages/client/src/wire/index.js';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { createTicketStore } from '../../common/ticket-store.js';
import { WebSocket } from 'ws';
import { windowAt } from '../../core/rule.js';
import { amqpNames } from '../../common/names.js';
import { PlainBroker, eventually } from '../support/broker.js';
import { REDIS_URL } from '../support/namespace.js';
import { PlayerClient } from '../support/player-client.js';
import { startStack, type Stack } from '../support/stack.js';

const JOIN: JoinFrame = { type: 'join', mode: 'ffa3', region: 'global' };

describe('gateway (producer) against the real broker, Redis and PostgreSQL', () => {
  let stack: Stack;
  let broker: PlainBroker;
  let poolQueue: string;
  let seq = 0;
  const newPlayer = (rating = 1500) => stack.addPlayer(`p${++seq}`, rating);

  // No matcher: a join stays in its pool queue where the test can look at it.
  before(async () => {
    stack = await startStack({ without: ['matcher'], gateways: 2 });
    broker = await PlainBroker.connect();
    poolQueue = amqpNames(stack.namespace).pool('ffa3', 'global');
  });
  after(async () => {
    await broker?.close();
    await stack?.stop();
  });

  describe('sign-in', () => {
    for (const [label, token] of [
      ['missing', ''],
      ['wrong', 'not-a-token'],
    ] as const) {
      it(`answers the upgrade with HTTP 401 for a ${label} token`, async () => {
        const url = token ? stack.wsUrl(token) : stack.wsUrl('').replace(/\?token=$/, '');
        const error = await PlayerClient.connect(url).then(
          () => undefined,
          (failure: Error) => failure,
        );
        expect(error?.message).to.equal('upgrade answered HTTP 401');
      });
    }

    it('greets a signed-in player with hello: the player as stored, modes and regions', async () => {
      const player = await newPlayer(1733);
      const client = await PlayerClient.connect(stack.wsUrl(player.token));
      const hello = await client.next('hello');
      expect(hello).to.deep.equal({
        type: 'hello',
        player: { id: player.id, name: player.name, rating: 1733, ratings: { ffa3: 1733 } },
        modes: ['ffa3'],
        regions: ['global'],
      });
      client.close();
    });
  });

  describe('join and leave', () => {
    it('answers queued only once the join is durably in its pool queue', async () => {
      const player = await newPlayer(1600);
      const client = await stack.connect(player.token);
      client.send({ ...JOIN, id: 'j1' });
      const queued = await client.next('queued');
      expect(queued).to.include({ mode: 'ffa3', region: 'global', rating: 1600, id: 'j1' });
      const requests = [];
      for (let message = await broker.get(poolQueue); message; message = await broker.get(poolQueue)) requests.push(message);
      const mine = requests.find((message) => JSON.parse(message.content.toString()).ticketId === queued.ticketId);
      expect(mine, 'join request in the pool queue').to.not.equal(undefined);
      expect(mine!.properties.deliveryMode).to.equal(2);
      expect(JSON.parse(mine!.content.toString())).to.include({ type: 'join', playerId: player.id, rating: 1600, mode: 'ffa3', region: 'global' });
    });

    it('refuses a second join while a ticket is live with already_queued', async () => {
      const client = await stack.connect((await newPlayer()).token);
      client.send(JOIN);
      await client.next('queued');
      client.send({ ...JOIN, id: 7 });
      expect(await client.next('error')).to.include({ code: 'already_queued', id: 7 });
    });

    it('cancels on leave: left with reason cancelled, and the leave reaches the pool queue', async () => {
      const client = await stack.connect((await newPlayer()).token);
      client.send(JOIN);
      const { ticketId } = await client.next('queued');
      client.send({ type: 'leave', id: 'l1' });
      expect(await client.next('left')).to.deep.equal({ type: 'left', ticketId, reason: 'cancelled', id: 'l1' });
      const leave = await eventually('the leave request', async () => {
        const message = await broker.get(poolQueue);
        if (!message) return undefined;
        const body = JSON.parse(message.content.toString());
        return body.type === 'leave' && body.ticketId === ticketId ? body : undefined;
      });
      expect(leave.ticketId).to.equal(ticketId);
      client.send(JOIN);
      expect((await client.next('queued')).ticketId).to.not.equal(ticketId);
    });

    it('answers a leave without a ticket with not_queued', async () => {
      const client = await stack.connect((await newPlayer()).token);
      client.send({ type: 'leave' });
      expect(await client.next('error')).to.include({ code: 'not_queued' });
    });

    it('tells the waiting player searching, with the window of the rule at the time waited', async () => {
      const client = await stack.connect((await newPlayer()).token);
      client.send(JOIN);
      const { ticketId } = await client.next('queued');
      const searching = await client.next('searching', 3000);
      expect(searching.ticketId).to.equal(ticketId);
      expect(searching.window).to.equal(windowAt(stack.config.match.modes.ffa3!, searching.waitedMs));
    });
  });

  describe('bad input keeps the socket serving', () => {
    const cases: [string, unknown, string][] = [
      ['non-JSON text', 'hello there', 'bad_request'],
      ['JSON without a type', { mode: 'ffa3' }, 'bad_request'],
      ['an unknown type', { type: 'dance', id: 3 }, 'unknown_type'],
      // Declared in the wire module, but parties and the ready check are not turned on here.
      ['a v1.1 party.create', { type: 'party.create', id: 4 }, 'unknown_type'],
      ['a v1.1 accept', { type: 'accept', roomId: 'r', id: 5 }, 'unknown_type'],
      ['a join without a region', { type: 'join', mode: 'ffa3' }, 'bad_request'],
      ['an unknown mode', { type: 'join', mode: 'chess', region: 'global' }, 'unknown_mode'],
      ['an unknown region', { type: 'join', mode: 'ffa3', region: 'mars' }, 'unknown_region'],
    ];
    for (const [label, frame, code] of cases) {
      it(`answers ${label} with ${code}`, async () => {
        const client = await stack.connect((await newPlayer()).token);
        client.sendRaw(frame);
        const error = await client.next('error');
        expect(error.code).to.equal(code);
        expect(error.message).to.be.a('string').and.not.equal('');
        if (typeof frame === 'object' && frame && 'id' in frame) expect(error.id).to.equal(frame.id);
        client.send(JOIN);
        await client.next('queued');
      });
    }

    it('closes a 70 KB frame with 1009', async () => {
      const client = await stack.connect((await newPlayer()).token);
      client.send({ type: 'join', mode: 'x'.repeat(70_000), region: 'global' });
      expect(await client.closeCode()).to.equal(1009);
    });

    it('answers a flood with rate_limited and keeps the socket open', async () => {
      const client = await stack.connect((await newPlayer()).token);
      for (let index = 0; index < 40; index++) client.sendRaw({ type: 'dance' });
      await client.next('error');
      expect(await client.next('error')).to.have.property('code');
      await eventually('a rate_limited error', () => client.frames.some((frame) => frame.type === 'error' && frame.code === 'rate_limited'));
      expect(client.socket.readyState).to.equal(WebSocket.OPEN);
    });
  });

  describe('reconnects', () => {
    it('closes the older socket of a player with 4000 when a newer one signs in', async () => {
      const player = await newPlayer();
      const older = await stack.connect(player.token);
      await stack.connect(player.token);
      expect(await older.closeCode()).to.equal(4000);
    });

    it('closes the older socket with 4000 when the newer one is on another gateway', async () => {
      const player = await newPlayer();
      const older = await stack.connect(player.token, 0);
      await eventually('the gateway to record the socket', async () => (await stack.gateways[0]!.gateway.sessions.has(player.id)) || undefined);
      await stack.connect(player.token, 1);
      expect(await older.closeCode()).to.equal(4000);
    });

    it('resumes the live ticket with queued on a reconnect to another gateway', async () => {
      const player = await newPlayer(1444);
      const first = await stack.connect(player.token, 0);
      first.send(JOIN);
      const { ticketId } = await first.next('queued');
      first.close();
      const second = await stack.connect(player.token, 1);
      expect(await second.next('queued')).to.deep.equal({ type: 'queued', ticketId, mode: 'ffa3', region: 'global', rating: 1444 });
      second.send({ type: 'leave' });
      expect((await second.next('left')).ticketId).to.equal(ticketId);
    });
  });

  it('completes a join a gateway died announcing: the reconnect publishes it and says queued', async () => {
    const player = await newPlayer(1555);
    const redis = new Redis(REDIS_URL);
    try {
      // What a gateway killed between opening the ticket and the broker's confirm leaves behind.
      const store = createTicketStore(redis, stack.namespace);
      const orphan = { ticketId: randomUUID(), mode: 'ffa3', region: 'global', playerId: player.id, rating: 1555, joinedAt: Date.now() };
      expect(await store.open(orphan, null, 60)).to.equal(true);
      const client = await stack.connect(player.token, 1);
      expect(await client.next('queued')).to.deep.equal({ type: 'queued', ticketId: orphan.ticketId, mode: 'ffa3', region: 'global', rating: 1555 });
      const join = await eventually('the completed join in the pool queue', async () => {
        const message = await broker.get(poolQueue);
        if (!message) return undefined;
        const body = JSON.parse(message.content.toString());
        return body.ticketId === orphan.ticketId ? body : undefined;
      });
      expect(join).to.include({ type: 'join', playerId: player.id, name: player.name, rating: 1555 });
      expect((await store.get(orphan))?.confirmed).to.equal(true);
    } finally {
      redis.disconnect();
    }
  });

  it('ends a ticket lost upstream, still queued long past maxWaitSeconds, as a timeout, so its player can play again', async () => {
    const player = await newPlayer(1500);
    const redis = new Redis(REDIS_URL);
    try {
      const store = createTicketStore(redis, stack.namespace);
      const maxWaitMs = stack.config.match.modes.ffa3!.maxWaitSeconds * 1000;
      const lost = { ticketId: randomUUID(), mode: 'ffa3', region: 'global', playerId: player.id, rating: 1500, joinedAt: Date.now() - maxWaitMs - 61_000 };
      expect(await store.open(lost, null, 600)).to.equal(true);
      await store.confirm(lost);
      const client = await stack.connect(player.token);
      expect(await client.next('left')).to.deep.equal({ type: 'left', ticketId: lost.ticketId, reason: 'timeout' });
      client.send(JOIN);
      expect((await client.next('queued')).ticketId).to.not.equal(lost.ticketId);
    } finally {
      redis.disconnect();
    }
  });

  describe('operations', () => {
    it('answers /healthz, /readyz and /metrics', async () => {
      expect((await fetch(stack.httpUrl('/healthz'))).status).to.equal(200);
      const ready = await fetch(stack.httpUrl('/readyz'));
      expect(ready.status).to.equal(200);
      expect(await ready.json()).to.deep.equal({ ready: true, checks: { rabbitmq: true, redis: true, postgresql: true } });
      const metrics = await (await fetch(stack.httpUrl('/metrics'))).text();
      expect(metrics).to.match(/^matchq_gateway_sockets\{[^}]*\} \d+/m);
    });

    it("counts every error a player is sent, the ticket desk's own replies too", async () => {
      const count = async (code: string) => {
        const text = await (await fetch(stack.httpUrl('/metrics'))).text();
        const line = text.split('\n').find((row) => row.startsWith('matchq_gateway_errors_total{') && row.includes(`code="${code}"`));
        return line ? Number(line.split(' ').at(-1)) : 0;
      };
      const before = { notQueued: await count('not_queued'), unknownMode: await count('unknown_mode'), badRequest: await count('bad_request') };
      const client = await stack.connect((await newPlayer()).token);
      client.send({ type: 'leave' });
      await client.next('error');
      client.send({ type: 'join', mode: 'chess', region: 'global' });
      await client.next('error');
      client.sendRaw('not json');
      await client.next('error');
      expect(await count('not_queued')).to.equal(before.notQueued + 1);
      expect(await count('unknown_mode')).to.equal(before.unknownMode + 1);
      expect(await count('bad_request')).to.equal(before.badRequest + 1);
    });
  });
});
