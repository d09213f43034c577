import { MatchqConnectionError, type JoinFrame } from '../../packages/client/src/index.js';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { createTicketStore } from '../../common/ticket-store.js';
import { windowAt } from '../../core/rule.js';
import { amqpNames, redisKeys } from '../../common/names.js';
import { PlainBroker, eventually } from '../support/broker.js';
import { metricValue } from '../support/metrics.js';
import { REDIS_URL } from '../support/namespace.js';
import { PlayerClient } from '../support/player-client.js';
import { watchRedis } from '../support/redis-monitor.js';
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
        expect(error).to.be.instanceOf(MatchqConnectionError).and.include({ reason: 'unauthorized' });
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

    it("opens a rejoin after a told end without reading the player's pointer or the ended ticket first", async () => {
      const player = await newPlayer();
      const client = await stack.connect(player.token);
      client.send(JOIN);
      const first = await client.next('queued');
      client.send({ type: 'leave' });
      await client.next('left');
      // Every command Redis runs on this player's pointer or on the ended ticket, seen by a plain client.
      const keys = redisKeys(stack.namespace);
      const watched = [keys.playerTicket(player.id), keys.ticket('ffa3', 'global', first.ticketId)];
      const seen: string[][] = [];
      // The gateway's own commands; those its scripts run show up as from `lua`.
      const monitor = await watchRedis((args, source) => {
        if (source !== 'lua' && args.some((arg) => watched.includes(arg))) seen.push(args);
      });
      try {
        client.send({ ...JOIN, id: 'again' });
        const second = await client.next('queued');
        expect(second).to.include({ id: 'again' });
        expect(second.ticketId).to.not.equal(first.ticketId);
        // The open's compare-and-set on the pointer (swap-player-ticket.lua) comes after any read of it.
        await eventually('the open seen', () => seen.some(([command]) => ['eval', 'evalsha'].includes(command!.toLowerCase())));
        const reads = seen.filter(([command]) => ['get', 'hgetall'].includes(command!.toLowerCase()));
        expect(reads, 'reads before the open').to.deep.equal([]);
      } finally {
        monitor.stop();
      }
    });

    it("claims and records a told outcome on a Redis connection apart from the joins' commands", async () => {
      const player = await newPlayer();
      const client = await stack.connect(player.token);
      const keys = redisKeys(stack.namespace);
      const sources = { open: new Set<string>(), claim: new Set<string>() };
      const monitor = await watchRedis((args, source) => {
        // A script's first call on a connection goes as EVAL, later ones as EVALSHA.
        if (!['eval', 'evalsha'].includes(args[0]!.toLowerCase())) return;
        if (args.includes(keys.playerTicket(player.id))) sources.open.add(source);
        else if (args.some((arg) => arg.startsWith(`${keys.ticketPrefix('ffa3', 'global')}`)) && args.includes('telling')) sources.claim.add(source);
      });
      try {
        client.send(JOIN);
        await client.next('queued');
        client.send({ type: 'leave' });
        await client.next('left');
        await eventually('the claim of the left seen', () => sources.open.size > 0 && sources.claim.size > 0);
        expect(
          [...sources.claim].filter((source) => sources.open.has(source)),
          'a connection used for both',
        ).to.deep.equal([]);
      } finally {
        monitor.stop();
      }
    });

    it("still opens a rejoin whose pointer Redis lost meanwhile, and never opens over a ticket that took the player's pointer", async () => {
      const player = await newPlayer(1500);
      const client = await stack.connect(player.token);
      const keys = redisKeys(stack.namespace);
      const redis = new Redis(REDIS_URL);
      try {
        client.send(JOIN);
        await client.next('queued');
        client.send({ type: 'leave' });
        await client.next('left');
        await redis.del(keys.playerTicket(player.id));
        client.send(JOIN);
        const second = await client.next('queued');
        expect(await redis.get(keys.playerTicket(player.id))).to.equal(`${second.ticketId} ffa3 global`);
        client.send({ type: 'leave' });
        await client.next('left');
        // A ticket opened elsewhere (a gateway that died announcing it) now holds the pointer: the rejoin completes that one.
        const store = createTicketStore(redis, keys);
        const orphan = { ticketId: randomUUID(), mode: 'ffa3', region: 'global', playerId: player.id, rating: 1500, joinedAt: Date.now() };
        expect(await store.open(orphan, `${second.ticketId} ffa3 global`, 60)).to.equal(true);
        client.send({ ...JOIN, id: 'third' });
        expect(await client.next('queued')).to.include({ ticketId: orphan.ticketId, id: 'third' });
      } finally {
        redis.disconnect();
      }
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
      expect(client.connected).to.equal(true);
    });

    it("echoes each flooded frame's id in its reply, rate_limited included", async () => {
      const client = await stack.connect((await newPlayer()).token);
      const sent = Array.from({ length: 40 }, (_, index) => (index % 2 ? `f${index}` : index));
      for (const id of sent) client.sendRaw({ type: 'dance', id });
      const errors = () => client.frames.filter((frame) => frame.type === 'error');
      await eventually('an answer to every flooded frame', () => errors().length === sent.length);
      // The gateway answers in order: the n-th error is the n-th frame's.
      expect(errors().map((frame) => frame.id)).to.deep.equal(sent);
      expect(errors().some((frame) => frame.code === 'rate_limited')).to.equal(true);
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
      // "Newer" is the later who-is-where write in Redis, not the later hello: wait for gateway 0's.
      const redis = new Redis(REDIS_URL);
      try {
        const store = createTicketStore(redis, redisKeys(stack.namespace));
        await eventually(
          'Redis to name gateway 0 as the holder',
          async () => (await store.gatewaysOf([player.id]))[0] === `${stack.namespace}-gw0` || undefined,
        );
      } finally {
        redis.disconnect();
      }
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

  it("tells a leave's left on the reconnect when the socket closed before the gateway could write it", async () => {
    const player = await newPlayer(1500);
    const first = await stack.connect(player.token, 0);
    first.send(JOIN);
    const { ticketId } = await first.next('queued');
    // The close frame right behind the leave: the ticket is cancelled while the socket is already closing.
    first.send({ type: 'leave', id: 'bye' });
    first.close();
    await first.closeCode();
    const second = await stack.connect(player.token, 1);
    expect(await second.next('left')).to.deep.equal({ type: 'left', ticketId, reason: 'cancelled' });
    // Told once: a later connection hears nothing of it.
    const third = await stack.connect(player.token, 0);
    third.send({ type: 'leave', id: 'again' });
    expect(await third.next('error')).to.include({ code: 'not_queued', id: 'again' });
    expect(third.frames.filter((frame) => frame.type === 'left')).to.have.length(0);
  });

  it('completes a join a gateway died announcing: the reconnect publishes it and says queued', async () => {
    const player = await newPlayer(1555);
    const redis = new Redis(REDIS_URL);
    try {
      // What a gateway killed between opening the ticket and the broker's confirm leaves behind.
      const store = createTicketStore(redis, redisKeys(stack.namespace));
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
      const store = createTicketStore(redis, redisKeys(stack.namespace));
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
      // Nothing is being told: no outcome waits for a turn (the pacer's own tests drive a backlog).
      expect(await metricValue(stack.httpUrl('/metrics'), 'matchq_gateway_tells_waiting')).to.equal(0);
    });

    it("counts every error a player is sent, the ticket desk's own replies too", async () => {
      const count = (code: string) => metricValue(stack.httpUrl('/metrics'), 'matchq_gateway_errors_total', { code });
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
