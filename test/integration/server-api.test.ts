import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { rate } from 'openskill';
import { createAllocationStore } from '../../common/allocation-store.js';
import { amqpNames, redisKeys } from '../../common/names.js';
import { addServerKey, revokeServerKeys } from '../../common/server-keys.js';
import type { MatchConfig } from '../../core/types.js';
import { PlainBroker, eventually } from '../support/broker.js';
import { claimAsMatcher } from '../support/claims.js';
import { REDIS_URL } from '../support/namespace.js';
import { silent, startStack, type Stack } from '../support/stack.js';
import { startGatewayService } from '../../services/producer/service.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const match: MatchConfig = {
  regions: ['global'],
  modes: {
    ffa3: { teams: 1, teamSize: 3, window: { initial: 0, perSecond: 50, max: Infinity }, maxWaitSeconds: 300 },
    duo: { teams: 2, teamSize: 2, window: { initial: 0, perSecond: 50, max: Infinity }, maxWaitSeconds: 300 },
  },
};

describe('server API: rooms, results and ratings, against the real PostgreSQL, RabbitMQ and Redis', function () {
  this.timeout(30_000);
  let stack: Stack;
  let broker: PlainBroker;
  let names: ReturnType<typeof amqpNames>;
  let key: string;
  let results: Awaited<ReturnType<PlainBroker['tap']>>;
  let count = 0;

  before(async () => {
    stack = await startStack({ match, gateways: 2, without: ['matcher', 'notifier'] });
    names = amqpNames(stack.namespace);
    broker = await PlainBroker.connect();
    results = await broker.tap(names.results);
    key = (await addServerKey(stack.db, 'test-fleet')).key;
  });
  after(async () => {
    await broker.close();
    await stack.stop();
  });

  const api = (path: string, init: { method?: string; body?: string; key?: string | null; gateway?: number } = {}) =>
    fetch(stack.httpUrl(path, init.gateway ?? 0), {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: init.key === null ? {} : { authorization: `Bearer ${init.key ?? key}`, 'content-type': 'application/json' },
      body: init.body,
    });
  const post = async (body: unknown, gateway = 0) => {
    const res = await api('/v1/results', { body: typeof body === 'string' ? body : JSON.stringify(body), gateway });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  /** Real players in a room the recorder wrote, as a matcher would have published it. */
  async function recordedRoom(mode: 'ffa3' | 'duo', ratings: number[]) {
    const players = await Promise.all(ratings.map((rating) => stack.addPlayer(`p${++count}`, rating)));
    const room = {
      v: 1,
      id: randomUUID(),
      mode,
      region: 'global',
      createdAt: new Date().toISOString(),
      spread: Math.max(...ratings) - Math.min(...ratings),
      imbalance: 0,
      players: players.map((player, index) => ({
        playerId: player.id,
        ticketId: randomUUID(),
        name: player.name,
        rating: player.rating,
        team: mode === 'duo' ? index % 2 : 0,
        waitedMs: 1000,
      })),
    };
    await claimAsMatcher(stack.namespace, room);
    broker.publishJson(names.rooms, '', room, { messageId: room.id, type: 'room.v1' });
    await eventually('the room recorded', () => stack.db('rooms').where({ id: room.id }).first());
    return { room, players };
  }

  describe('keys', () => {
    it('answers 401 {"error"} without a live key, before reading any body, whatever its size', async () => {
      const { room } = await recordedRoom('ffa3', [1500, 1500, 1500]);
      const revoked = (await addServerKey(stack.db, 'old-fleet')).key;
      await revokeServerKeys(stack.db, 'old-fleet');
      for (const bad of [null, 'nope', revoked]) {
        const get = await api(`/v1/rooms/${room.id}`, { key: bad });
        expect(get.status, String(bad)).to.equal(401);
        expect(await get.json())
          .to.have.property('error')
          .that.is.a('string');
        const huge = await api('/v1/results', { key: bad, body: 'x'.repeat(1024 * 1024) });
        expect(huge.status).to.equal(401);
        expect(await huge.json()).to.have.property('error');
      }
      expect(await stack.db('results').where({ room_id: room.id }).first()).to.equal(undefined);
    });
  });

  describe('ratings reach matching', () => {
    it('a join uses the current rating in its mode, on any gateway, from the next join; hello carries every mode', async () => {
      const { room, players } = await recordedRoom('ffa3', [1500, 1500, 1500]);
      const winner = players[0]!;
      const before = await stack.connect(winner.token, 1);
      const res = await post({ roomId: room.id, placements: players.map((player, index) => ({ playerId: player.id, rank: index + 1 })) }, 0);
      const rating = (res.body.changes as { after: number }[])[0]!.after;
      expect(rating).to.be.above(1500);

      // Signed in before the result, on the other gateway: the next join already uses it.
      before.send({ type: 'join', mode: 'ffa3', region: 'global' });
      const queued = await before.next('queued');
      expect(queued.rating).to.equal(rating);
      const request = await eventually('the join request', async () => {
        const found = (await broker.drain(names.pool('ffa3', 'global'))).map(
          (message) => JSON.parse(message.content.toString()) as { playerId: string; rating: number },
        );
        return found.find((join) => join.playerId === winner.id);
      });
      expect(request.rating).to.equal(rating);
      before.send({ type: 'leave' });
      await before.next('left');

      // Another mode keeps the base rating; a new sign-in is greeted with both.
      const fresh = await stack.connect(winner.token, 0);
      const hello = fresh.frames.find((frame) => frame.type === 'hello')!;
      expect(hello.player).to.deep.equal({ id: winner.id, name: winner.name, rating: 1500, ratings: { ffa3: rating, duo: 1500 } });
      fresh.send({ type: 'join', mode: 'duo', region: 'global' });
      expect((await fresh.next('queued')).rating).to.equal(1500);
    });
  });

  describe('matchq.results', () => {
    it("publishes each applied result: persistent, result.v1, message id = room id, the contract's body", async () => {
      const { room, players } = await recordedRoom('ffa3', [1550, 1500, 1450]);
      const placements = players.map((player, index) => ({ playerId: player.id, rank: index + 1 }));
      const res = await post({ roomId: room.id, placements });
      const message = await eventually('the result', () => results.find((m) => m.properties.messageId === room.id));
      expect(message.properties).to.include({ type: 'result.v1', contentType: 'application/json', deliveryMode: 2, messageId: room.id });
      const body = JSON.parse(message.content.toString()) as Record<string, unknown>;
      expect(Object.keys(body)).to.deep.equal(['v', 'roomId', 'mode', 'at', 'placements']);
      const changes = res.body.changes as { playerId: string; before: number; after: number }[];
      expect(body).to.deep.include({
        v: 1,
        roomId: room.id,
        mode: 'ffa3',
        placements: placements.map((p, i) => ({ ...p, before: changes[i]!.before, after: changes[i]!.after })),
      });
      expect(new Date(body.at as string).toISOString()).to.equal(body.at);
      // Marked published once the broker confirmed it, which may come after a consumer already has it.
      await eventually(
        'the result marked published',
        async () => ((await stack.db('results').where({ room_id: room.id }).first()) as { published_at: Date | null }).published_at ?? undefined,
      );
    });

    it('npm run tap -- --results prints each result as one JSON line', async () => {
      const tap = spawn(process.execPath, ['--import', 'tsx', 'cli/tap.ts', '--results'], {
        cwd: root,
        env: { ...process.env, MATCHQ_NAMESPACE: stack.namespace, LOG_LEVEL: 'warn' },
      });
      let stdout = '';
      let stderr = '';
      tap.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      tap.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      try {
        await eventually('tap listening', () => stderr.includes(`tapping ${names.results}`), 20_000);
        const { room, players } = await recordedRoom('ffa3', [1500, 1500, 1500]);
        await post({ roomId: room.id, placements: players.map((player, index) => ({ playerId: player.id, rank: index + 1 })) });
        const line = await eventually('the printed result', () => stdout.split('\n').find((text) => text.includes(room.id)));
        expect(JSON.parse(line)).to.include({ v: 1, roomId: room.id, mode: 'ffa3' });
      } finally {
        tap.kill('SIGTERM');
      }
    });

    it('publishes a result committed but never published (a crash in between) when a gateway starts', async () => {
      const { room, players } = await recordedRoom('ffa3', [1500, 1500, 1500]);
      await post({ roomId: room.id, placements: players.map((player, index) => ({ playerId: player.id, rank: index + 1 })) });
      await eventually('the first publish', () => results.some((m) => m.properties.messageId === room.id));
      // As if the gateway died after the commit, before its publish was confirmed.
      await stack.db('results').where({ room_id: room.id }).update({ published_at: null });
      const extra = await startGatewayService(stack.configFor({ GATEWAY_ID: `${stack.namespace}-gw-extra` }), silent);
      try {
        await eventually('the republish', () => results.filter((m) => m.properties.messageId === room.id).length === 2);
        await eventually('marked published', async () => (await stack.db('results').where({ room_id: room.id }).first()).published_at !== null);
      } finally {
        await extra.stop();
      }
    });
  });

  describe('GET /v1/rooms/ROOM_ID', () => {
    it('returns the recorded room event, and 404 for a room never recorded', async () => {
      const { room } = await recordedRoom('ffa3', [1400, 1410, 1420]);
      const res = await api(`/v1/rooms/${room.id}`);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal(room);
      for (const id of [randomUUID(), 'not-a-room']) {
        const missing = await api(`/v1/rooms/${id}`);
        expect(missing.status).to.equal(404);
        expect(await missing.json()).to.have.property('error');
      }
    });
  });

  describe('a room announced that the recorder has not written yet', () => {
    /** Real players in a room a matcher claimed (so Redis keeps its event), not yet in PostgreSQL. */
    async function unrecordedRoom(ratings: number[]) {
      const players = await Promise.all(ratings.map((rating) => stack.addPlayer(`p${++count}`, rating)));
      const room = {
        v: 1,
        id: randomUUID(),
        mode: 'ffa3',
        region: 'global',
        createdAt: new Date().toISOString(),
        spread: Math.max(...ratings) - Math.min(...ratings),
        imbalance: 0,
        players: players.map((player) => ({ playerId: player.id, ticketId: randomUUID(), name: player.name, rating: player.rating, team: 0, waitedMs: 1000 })),
      };
      await claimAsMatcher(stack.namespace, room);
      expect(await stack.db('rooms').where({ id: room.id }).first()).to.equal(undefined);
      return { room, players };
    }

    it('GET answers the room event and a result is applied (200), not 404; once recorded, the same result again is the same answer', async () => {
      const { room, players } = await unrecordedRoom([1500, 1500, 1500]);
      const get = await api(`/v1/rooms/${room.id}`);
      expect(get.status).to.equal(200);
      expect(await get.json()).to.deep.equal(room);

      const placements = players.map((player, index) => ({ playerId: player.id, rank: index + 1 }));
      const first = await post({ roomId: room.id, placements });
      expect(first.status).to.equal(200);
      expect(first.body.roomId).to.equal(room.id);
      const changes = first.body.changes as { playerId: string; before: number; after: number }[];
      expect(changes.map((change) => change.playerId)).to.deep.equal(players.map((player) => player.id));
      expect(changes[0]!.after).to.be.above(1500);
      expect(
        await stack
          .db('ratings')
          .where({ mode: 'ffa3' })
          .whereIn(
            'player_id',
            players.map((p) => p.id),
          )
          .sum('games as games')
          .first(),
      ).to.deep.equal({ games: '3' });

      // The recorder catches up: the room is now recorded, and the result stands as it was applied.
      broker.publishJson(names.rooms, '', room, { messageId: room.id, type: 'room.v1' });
      await eventually('the room recorded', () => stack.db('rooms').where({ id: room.id }).first());
      const again = await post({ roomId: room.id, placements: [...placements].reverse() });
      expect(again).to.deep.equal(first);
      expect(await stack.db('rating_history').where({ room_id: room.id }).count('* as n').first()).to.deep.equal({ n: '3' });
    });

    it('with an allocator, a room is announced once it has its server: 404 while it is being allocated, then 200 with the server', async () => {
      const { room, players } = await unrecordedRoom([1400, 1450, 1500]);
      const allocating = await startGatewayService(
        stack.configFor({
          GATEWAY_ID: `${stack.namespace}-gw-alloc`,
          ALLOCATOR: 'http',
          ALLOCATOR_URL: 'http://127.0.0.1:9/allocate',
          JOIN_TOKEN_SECRET: 'server-api-test-secret',
        }),
        silent,
      );
      const redis = new Redis(REDIS_URL);
      try {
        const at = (path: string, body?: unknown) =>
          fetch(`http://127.0.0.1:${allocating.port}${path}`, {
            method: body === undefined ? 'GET' : 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
        const result = { roomId: room.id, placements: players.map((player, index) => ({ playerId: player.id, rank: index + 1 })) };
        expect((await at(`/v1/rooms/${room.id}`)).status).to.equal(404);
        expect((await at('/v1/results', result)).status).to.equal(404);
        expect(await stack.db('results').where({ room_id: room.id }).first()).to.equal(undefined);

        const allocations = createAllocationStore(redis, redisKeys(stack.namespace));
        const held = { mode: room.mode, region: room.region, roomId: room.id, ticketIds: room.players.map((player) => player.ticketId) };
        expect((await allocations.begin(held, 'test-allocator', Date.now(), 60_000)).action).to.equal('allocate');
        const server = { address: '10.0.0.7:7777', name: 'gs-1' };
        const announced = { ...room, server };
        expect((await allocations.finish(held, JSON.stringify(server), JSON.stringify(announced))).action).to.equal('announced');

        const get = await at(`/v1/rooms/${room.id}`);
        expect(get.status).to.equal(200);
        expect(await get.json()).to.deep.equal(announced);
        const posted = await at('/v1/results', result);
        expect(posted.status).to.equal(200);
        expect(((await posted.json()) as { roomId: string }).roomId).to.equal(room.id);
      } finally {
        redis.disconnect();
        await allocating.stop();
      }
    });
  });

  describe('POST /v1/results', () => {
    it('rates the room with OpenSkill on matchq\'s scale and answers {"roomId","mode","changes"}', async () => {
      const { room, players } = await recordedRoom('ffa3', [1500, 1520, 1480]);
      const placements = [
        { playerId: players[1]!.id, rank: 1 },
        { playerId: players[0]!.id, rank: 2 },
        { playerId: players[2]!.id, rank: 3 },
      ];
      const res = await post({ roomId: room.id, placements });
      expect(res.status).to.equal(200);
      const expected = rate([[{ mu: 1500, sigma: 500 }], [{ mu: 1520, sigma: 500 }], [{ mu: 1480, sigma: 500 }]], { rank: [2, 1, 3], beta: 250, tau: 5 });
      const after = [Math.round(expected[1]![0]!.mu), Math.round(expected[0]![0]!.mu), Math.round(expected[2]![0]!.mu)];
      expect(res.body).to.deep.equal({
        roomId: room.id,
        mode: 'ffa3',
        changes: [
          { playerId: players[1]!.id, before: 1520, after: after[0] },
          { playerId: players[0]!.id, before: 1500, after: after[1] },
          { playerId: players[2]!.id, before: 1480, after: after[2] },
        ],
      });
      expect(Object.keys(res.body)).to.deep.equal(['roomId', 'mode', 'changes']);
      const stored = await stack.db('ratings').where({ player_id: players[1]!.id, mode: 'ffa3' }).first();
      expect(stored).to.include({ games: 1, mu: expected[1]![0]!.mu, sigma: expected[1]![0]!.sigma });
      const history = await stack.db('rating_history').where({ room_id: room.id }).orderBy('rank');
      expect(history.map((row) => [row.player_id, row.rank, row.before, row.after])).to.deep.equal(
        placements.map((p, i) => [p.playerId, p.rank, [1520, 1500, 1480][i], after[i]]),
      );
    });

    it('answers the same result again with 200 and the same answer, in any order; a different one with 409; ratings move once', async () => {
      const { room, players } = await recordedRoom('ffa3', [1600, 1600, 1600]);
      const placements = players.map((player, index) => ({ playerId: player.id, rank: index === 2 ? 1 : 2 }));
      const first = await post({ roomId: room.id, placements });
      expect(first.status).to.equal(200);
      const again = await post({ roomId: room.id, placements: [...placements].reverse() }, 1);
      expect(again).to.deep.equal(first);
      const other = await post({ roomId: room.id, placements: players.map((player, index) => ({ playerId: player.id, rank: index + 1 })) });
      expect(other.status).to.equal(409);
      expect(other.body).to.have.property('error');
      const rows = await stack.db('ratings').whereIn(
        'player_id',
        players.map((p) => p.id),
      );
      expect(rows.map((row) => row.games)).to.deep.equal([1, 1, 1]);
      expect(await stack.db('rating_history').where({ room_id: room.id })).to.have.length(3);
    });

    it('applies a result posted many times at once exactly once, and publishes it once', async () => {
      const { room, players } = await recordedRoom('ffa3', [1700, 1710, 1720]);
      const body = { roomId: room.id, placements: players.map((player, index) => ({ playerId: player.id, rank: 3 - index })) };
      const answers = await Promise.all(Array.from({ length: 8 }, (_, index) => post(body, index % 2)));
      expect(answers.map((answer) => answer.status)).to.deep.equal(Array(8).fill(200));
      for (const answer of answers) expect(answer.body).to.deep.equal(answers[0]!.body);
      const rows = await stack.db('ratings').whereIn(
        'player_id',
        players.map((p) => p.id),
      );
      expect(rows.map((row) => row.games)).to.deep.equal([1, 1, 1]);
      expect(await stack.db('rating_history').where({ room_id: room.id })).to.have.length(3);
      await eventually('the result published', () => results.some((message) => message.properties.messageId === room.id));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(results.filter((message) => message.properties.messageId === room.id)).to.have.length(1);
    });

    it('lets exactly one of two different results posted at once win', async () => {
      const { room, players } = await recordedRoom('ffa3', [1300, 1300, 1300]);
      const one = { roomId: room.id, placements: players.map((player, index) => ({ playerId: player.id, rank: index + 1 })) };
      const two = { roomId: room.id, placements: players.map((player, index) => ({ playerId: player.id, rank: 3 - index })) };
      const answers = await Promise.all([post(one, 0), post(two, 1), post(one, 1), post(two, 0)]);
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.filter((status) => status === 200)).to.have.length(2);
      expect(statuses.filter((status) => status === 409)).to.have.length(2);
      expect(statuses[0]).to.equal(statuses[2]);
      const rows = await stack.db('ratings').whereIn(
        'player_id',
        players.map((p) => p.id),
      );
      expect(rows.map((row) => row.games)).to.deep.equal([1, 1, 1]);
    });

    it("rates the teams of a team mode as units; its players must share their team's rank", async () => {
      const { room, players } = await recordedRoom('duo', [1500, 1500, 1500, 1500]);
      const split = await post({ roomId: room.id, placements: players.map((player, index) => ({ playerId: player.id, rank: index + 1 })) });
      expect(split.status).to.equal(400);
      expect(split.body.error).to.include('team 0').and.include('share one rank');
      // Team 0 is players 0 and 2, team 1 is players 1 and 3: team 1 wins.
      const res = await post({ roomId: room.id, placements: players.map((player, index) => ({ playerId: player.id, rank: index % 2 === 1 ? 1 : 2 })) });
      expect(res.status).to.equal(200);
      const expected = rate(
        [
          [
            { mu: 1500, sigma: 500 },
            { mu: 1500, sigma: 500 },
          ],
          [
            { mu: 1500, sigma: 500 },
            { mu: 1500, sigma: 500 },
          ],
        ],
        { rank: [2, 1], beta: 250, tau: 5 },
      );
      const changes = res.body.changes as { after: number }[];
      expect(changes.map((change) => change.after)).to.deep.equal([0, 1, 0, 1].map((team) => Math.round(expected[team]![0]!.mu)));
    });

    it('accepts ties in a free-for-all', async () => {
      const { room, players } = await recordedRoom('ffa3', [1500, 1500, 1500]);
      const res = await post({ roomId: room.id, placements: players.map((player, index) => ({ playerId: player.id, rank: index === 0 ? 1 : 2 })) });
      expect(res.status).to.equal(200);
      const changes = res.body.changes as { after: number }[];
      expect(changes[1]!.after).to.equal(changes[2]!.after);
      expect(changes[0]!.after).to.be.above(changes[1]!.after);
    });

    it('answers 400 {"error"} naming what is wrong, 404 for an unknown room, 413 over 64 KiB; and keeps serving', async () => {
      const { room, players } = await recordedRoom('ffa3', [1500, 1500, 1500]);
      const seat = (index: number, rank: unknown) => ({ playerId: players[index]!.id, rank });
      const cases: [unknown, string][] = [
        ['{"roomId":', 'body'],
        [[1, 2], 'body'],
        [{ placements: [seat(0, 1), seat(1, 2), seat(2, 3)] }, 'roomId'],
        [{ roomId: room.id }, 'placements'],
        [{ roomId: room.id, placements: [seat(0, 0), seat(1, 2), seat(2, 3)] }, 'placements.0.rank'],
        [{ roomId: room.id, placements: [seat(0, 1), seat(1, 1.5), seat(2, 3)] }, 'placements.1.rank'],
        [{ roomId: room.id, placements: [seat(0, 1), seat(1, '2'), seat(2, 3)] }, 'placements.1.rank'],
        [{ roomId: room.id, placements: [seat(0, 1), { rank: 2 }, seat(2, 3)] }, 'placements.1.playerId'],
        [{ roomId: room.id, placements: [seat(0, 1), seat(1, 2)] }, 'missing'],
        [{ roomId: room.id, placements: [seat(0, 1), seat(1, 2), seat(2, 3), { playerId: randomUUID(), rank: 4 }] }, 'not a player of this room'],
        [{ roomId: room.id, placements: [seat(0, 1), seat(1, 2), seat(1, 3)] }, 'placed twice'],
      ];
      for (const [body, field] of cases) {
        const res = await post(body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.error, JSON.stringify(body)).to.be.a('string').that.includes(field);
      }
      const unknown = await post({ roomId: randomUUID(), placements: [seat(0, 1), seat(1, 2), seat(2, 3)] });
      expect(unknown.status).to.equal(404);
      expect(unknown.body).to.have.property('error');
      const padded = JSON.stringify({ roomId: room.id, placements: [seat(0, 1), seat(1, 2), seat(2, 3)], pad: 'x'.repeat(64 * 1024) });
      for (const body of [padded, 'x'.repeat(5 * 1024 * 1024)]) {
        const big = await api('/v1/results', { body });
        expect(big.status).to.equal(413);
        expect(await big.json()).to.have.property('error');
      }
      const ok = await post({ roomId: room.id, placements: [seat(0, 1), seat(1, 2), seat(2, 3)] });
      expect(ok.status).to.equal(200);
      expect(await stack.db('rating_history').where({ room_id: room.id })).to.have.length(3);
    });
  });
});
