import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqplib from 'amqplib';
import { expect } from 'chai';
import WebSocket from 'ws';
import { freePort } from '../../common/free-port.js';
import { amqpNames } from '../../common/names.js';
import { eventually } from '../support/broker.js';
import { AMQP_URL, dropNamespace, newDatabase, newNamespace } from '../support/namespace.js';
import { PlayerClient } from '../support/player-client.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const JOIN = { type: 'join', mode: 'ffa3', region: 'global' } as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Below the gateway's 10 frames a second a socket: these frames must be answered, not rate-limited. */
const PACE_MS = 150;

/**
 * One raw HTTP/1.1 request: the request line and headers exactly as written, the body as given.
 * Written, not ended: Node's server drops a response still being prepared when the client half-closes.
 */
function rawRequest(port: number, head: string, body = ''): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${head}\r\nHost: x\r\nConnection: close\r\n\r\n${body}`));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1] ?? 0), text: answer }));
    socket.on('error', reject);
  });
}

/** What the upgrade was answered with: 'open', or the HTTP status that refused it. */
function upgrade(url: string): Promise<string | number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.once('open', () => {
      socket.close();
      resolve('open');
    });
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.once('error', () => resolve(0));
  });
}

/**
 * A hostile-input suite against the real `npm start` (migrations, supervisor, every service, the
 * demo game server) in a namespace, database, port and demo files of its own: what an attacker
 * can reach (the WebSocket, the HTTP port, the server API, and the broker with the shared
 * credentials `npm start` uses) gets the contract's clear answer, and the stack still serves a
 * real match afterwards.
 */
describe('hostile input against npm start', function () {
  this.timeout(240_000);
  const namespace = newNamespace();
  const names = amqpNames(namespace);
  const directory = mkdtempSync(join(tmpdir(), 'matchq-hostile-'));
  let databaseUrl: string;
  let port: number;
  let start: ChildProcess;
  let output = '';
  let players: { id: string; name: string; token: string }[] = [];
  let serverKey: string;
  const base = () => `http://127.0.0.1:${port}`;
  const ws = (token: string) => `ws://127.0.0.1:${port}/ws?token=${encodeURIComponent(token)}`;
  const signIn = async (player = players[0]!) => {
    const client = await PlayerClient.connect(ws(player.token));
    await client.next('hello');
    return client;
  };
  /** The stack still serves: alive, ready, and a signed-in player is answered. */
  const stillServing = async () => {
    expect(start.exitCode, output).to.equal(null);
    expect((await fetch(`${base()}/healthz`)).status).to.equal(200);
    expect((await fetch(`${base()}/readyz`)).status).to.equal(200);
    const client = await signIn(players[2]!);
    client.send({ type: 'leave', id: 'alive' });
    expect(await client.next('error')).to.include({ code: 'not_queued', id: 'alive' });
    client.close();
  };

  before(async () => {
    databaseUrl = await newDatabase(namespace);
    port = await freePort();
    start = spawn(process.execPath, ['--import', 'tsx', 'cli/start.ts'], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PORT: String(port),
        METRICS_PORT: '0',
        MATCHQ_NAMESPACE: namespace,
        DATABASE_URL: databaseUrl,
        DEMO_PLAYERS_FILE: join(directory, 'demo-players.json'),
        DEMO_SERVER_KEY_FILE: join(directory, 'demo-server-key.json'),
        LOG_LEVEL: 'error',
      },
    });
    start.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    start.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(
      'npm start ready',
      async () => {
        if (start.exitCode !== null) throw new Error(`npm start exited: ${output}`);
        return (
          (await fetch(`${base()}/readyz`).then(
            (response) => response.status === 200,
            () => false,
          )) || undefined
        );
      },
      180_000,
    );
    players = JSON.parse(readFileSync(join(directory, 'demo-players.json'), 'utf8')) as typeof players;
    serverKey = (JSON.parse(readFileSync(join(directory, 'demo-server-key.json'), 'utf8')) as { key: string }).key;
    expect(players.length).to.be.at.least(3);
  });

  after(async () => {
    if (start?.pid !== undefined && start.exitCode === null) {
      const exited = new Promise((resolve) => start.once('exit', resolve));
      process.kill(start.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
      if (start.exitCode === null) process.kill(-start.pid, 'SIGKILL');
    }
    await dropNamespace(namespace, [{ mode: 'ffa3', region: 'global' }], databaseUrl);
    rmSync(directory, { recursive: true, force: true });
  });

  it('refuses upgrades without a valid token (401), whatever the token looks like', async () => {
    const refused = [
      `ws://127.0.0.1:${port}/ws`,
      ws(''),
      ws('not-a-token'),
      ws(players[0]!.token.toUpperCase()),
      ws(`${players[0]!.token} `),
      ws('x'.repeat(8000)),
      ws('\u0000'),
    ];
    const answers = await Promise.all(refused.map(upgrade));
    answers.forEach((answer, index) => expect(answer, refused[index]!.slice(0, 80)).to.equal(401));
    await stillServing();
  });

  it('answers malformed, unknown and prototype-named frames with the clear error, never a crash', async () => {
    const client = await signIn();
    const cases: { frame: string | Buffer; code: string }[] = [
      { frame: 'not json', code: 'bad_request' },
      { frame: '[]', code: 'bad_request' },
      { frame: 'null', code: 'bad_request' },
      { frame: '42', code: 'bad_request' },
      { frame: '"join"', code: 'bad_request' },
      { frame: '{}', code: 'bad_request' },
      { frame: `${'['.repeat(1500)}${']'.repeat(1500)}`, code: 'bad_request' },
      { frame: '{"type":"__proto__"}', code: 'unknown_type' },
      { frame: '{"type":"constructor"}', code: 'unknown_type' },
      { frame: '{"type":"hasOwnProperty"}', code: 'unknown_type' },
      // Parties and the ready check are off in the default rule: their frames are unknown, as in v1.
      { frame: '{"type":"party.join","code":"../../"}', code: 'unknown_type' },
      { frame: '{"type":"accept","roomId":"x"}', code: 'unknown_type' },
      { frame: '{"type":"join","mode":"__proto__","region":"global"}', code: 'unknown_mode' },
      { frame: '{"type":"join","mode":"constructor","region":"global"}', code: 'unknown_mode' },
      { frame: '{"type":"join","mode":"toString","region":"global"}', code: 'unknown_mode' },
      { frame: '{"type":"join","mode":"ffa3","region":"__proto__"}', code: 'unknown_region' },
      { frame: '{"type":"join","mode":"ffa3","region":"valueOf"}', code: 'unknown_region' },
      { frame: '{"type":"join","mode":{"$ne":1},"region":"global"}', code: 'bad_request' },
      { frame: '{"type":"join","mode":["ffa3"],"region":"global"}', code: 'bad_request' },
      { frame: '{"type":"leave","__proto__":{"polluted":true}}', code: 'not_queued' },
    ];
    for (const [index, { frame, code }] of cases.entries()) {
      await sleep(PACE_MS);
      client.sendRaw(frame);
      const error = await client.next('error');
      expect(error.code, `frame ${index}: ${String(frame).slice(0, 60)}`).to.equal(code);
    }
    // A binary frame, and a frame with an id of every JSON type: still one clear answer each.
    await sleep(PACE_MS);
    client.sendRaw(Buffer.from('{"type":"leave"}'));
    expect((await client.next('error')).code).to.equal('bad_request');
    for (const id of [{ a: 1 }, [1], null, true, 'x'.repeat(300)]) {
      await sleep(PACE_MS);
      client.sendRaw({ type: 'leave', id });
      expect((await client.next('error')).code).to.be.oneOf(['not_queued', 'bad_request']);
    }
    // No ticket was left behind by any of it: the player's real join is answered queued, once.
    client.send({ ...JOIN, id: 'real' });
    expect(await client.next('queued')).to.include({ id: 'real' });
    client.send({ type: 'leave', id: 'out' });
    expect(await client.next('left')).to.include({ reason: 'cancelled' });
    client.close();
    await stillServing();
  });

  it('closes a frame over 4 KiB with 1009, rate-limits a flood, and keeps serving', async () => {
    const big = await signIn();
    big.sendRaw(JSON.stringify({ type: 'leave', pad: 'x'.repeat(5000) }));
    expect(await big.closeCode()).to.equal(1009);
    const flood = await signIn();
    for (let index = 0; index < 400; index++) flood.sendRaw({ type: 'leave', id: index });
    let answer = await flood.next('error', 30_000);
    while (answer.code !== 'rate_limited') answer = await flood.next('error', 30_000);
    flood.close();
    // Many sockets of one player, one after another: the newest wins, every older one is closed with 4000.
    const sockets: PlayerClient[] = [];
    for (let index = 0; index < 20; index++) sockets.push(await signIn(players[1]!));
    const codes = await Promise.all(sockets.slice(0, -1).map((socket) => socket.closeCode(20_000)));
    expect(new Set(codes)).to.deep.equal(new Set([4000]));
    sockets.at(-1)!.close();
    await stillServing();
  });

  it('answers other methods on the ops endpoints 405, and path tricks on the static files never with a file outside', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE']) {
      for (const path of ['/healthz', '/readyz', '/metrics']) {
        expect((await rawRequest(port, `${method} ${path} HTTP/1.1`)).status, `${method} ${path}`).to.equal(405);
      }
    }
    const secret = readFileSync(join(root, 'package.json'), 'utf8').slice(0, 40);
    for (const path of [
      '/../package.json',
      '/assets/../package.json',
      '/assets/../../package.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/a/../../../../package.json',
      '/assets//etc/passwd',
      '/assets/../../../../../../etc/passwd',
      '/assets/..\\..\\package.json',
      '/assets/../../services/producer/service.js',
      '/assets/toString',
      '/toString',
      '/__proto__',
      '/assets/%00.js',
    ]) {
      const { status, text } = await rawRequest(port, `GET ${path} HTTP/1.1`);
      expect(status, path).to.be.oneOf([400, 404]);
      expect(text, path).to.not.include(secret).and.not.include('root:x:0:0');
    }
    await stillServing();
  });

  it('checks the server key before anything else, and answers bad bodies 400 and big ones 413', async () => {
    const post = (body: string, authorization?: string) =>
      rawRequest(
        port,
        `POST /v1/results HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}${authorization ? `\r\nAuthorization: ${authorization}` : ''}`,
        body,
      );
    expect((await post('{}')).status).to.equal(401);
    expect((await post('x'.repeat(1_000_000))).status, 'a big body without a key').to.equal(401);
    for (const authorization of ['Bearer', 'Bearer ', 'Bearer wrong', `Basic ${serverKey}`, `Bearer ${serverKey}x`, `bearer  ${serverKey.slice(1)}`]) {
      expect((await post('{}', authorization)).status, authorization).to.equal(401);
    }
    const key = `Bearer ${serverKey}`;
    for (const body of [
      'not json',
      '[]',
      'null',
      '{"__proto__":{"roomId":"x"}}',
      '{"roomId":{"$ne":null},"placements":[]}',
      `{"roomId":"${randomUUID()}","placements":"all"}`,
      `{"roomId":"${randomUUID()}","placements":[{"playerId":"${players[0]!.id}","rank":"1"}]}`,
      `{"roomId":"${randomUUID()}","placements":[{"playerId":"${players[0]!.id}","rank":-1}]}`,
    ]) {
      const { status, text } = await post(body, key);
      expect(status, body).to.equal(400);
      expect(text, body).to.match(/"error":"/);
    }
    // Well-formed but absurd: a rank no room has, for a room nobody recorded.
    expect((await post(`{"roomId":"${randomUUID()}","placements":[{"playerId":"${players[0]!.id}","rank":1e308}]}`, key)).status).to.be.oneOf([400, 404]);
    expect((await post(`{"roomId":"${randomUUID()}","placements":[{"playerId":"${players[0]!.id}","rank":1}]}`, key)).status).to.equal(404);
    expect((await post(JSON.stringify({ pad: 'x'.repeat(70 * 1024) }), key)).status).to.equal(413);
    for (const path of ['/v1/rooms/..%2f..%2fetc%2fpasswd', '/v1/rooms/__proto__', `/v1/rooms/${randomUUID()}`, '/v1/rooms/', '/v1/constructor']) {
      const { status } = await rawRequest(port, `GET ${path} HTTP/1.1\r\nAuthorization: ${key}`);
      expect(status, path).to.be.oneOf([400, 404]);
    }
    expect((await rawRequest(port, `DELETE /v1/results HTTP/1.1\r\nAuthorization: ${key}`)).status).to.be.oneOf([404, 405]);
    await stillServing();
  });

  it('dead-letters a room forged on matchq.rooms with the shared credentials: no player is told it', async () => {
    const player = players[0]!;
    const client = await signIn(player);
    const connection = await amqplib.connect(AMQP_URL);
    try {
      const channel = await connection.createConfirmChannel();
      const id = randomUUID();
      const room = {
        v: 1,
        id,
        mode: 'ffa3',
        region: 'global',
        createdAt: new Date().toISOString(),
        spread: 0,
        players: players.slice(0, 3).map((seat) => ({ playerId: seat.id, ticketId: randomUUID(), name: seat.name, rating: 1500, team: 0, waitedMs: 0 })),
      };
      await new Promise<void>((resolve, reject) =>
        channel.publish(
          names.rooms,
          '',
          Buffer.from(JSON.stringify(room)),
          { persistent: true, contentType: 'application/json', messageId: id, type: 'room.v1' },
          (error) => (error ? reject(error as Error) : resolve()),
        ),
      );
      // The notifier's and the recorder's copies both end in matchq.dead, with the reason.
      const reasons: string[] = [];
      await eventually(
        'both copies of the forged room dead-lettered',
        async () => {
          const message = await channel.get(names.dead, { noAck: true });
          if (message && message.properties.messageId === id) reasons.push(String(message.properties.headers?.['x-matchq-reason']));
          return reasons.length >= 2 || undefined;
        },
        60_000,
      );
      expect(reasons.every((reason) => reason.length > 0)).to.be.true;
      // Once both refused it, the player was told nothing of it, and the recorder kept nothing.
      client.send({ type: 'leave', id: 'after' });
      expect(await client.next('error')).to.include({ code: 'not_queued', id: 'after' });
      expect(client.types()).to.not.include('matched');
      await channel.close();
    } finally {
      await connection.close();
      client.close();
    }
    await stillServing();
  });

  it('still matches the demo players after all of it', async () => {
    const clients = await Promise.all(players.slice(0, 3).map((player) => signIn(player)));
    for (const client of clients) {
      client.send(JOIN);
      await client.next('queued');
    }
    const matched = await Promise.all(clients.map((client) => client.next('matched', 60_000)));
    expect(new Set(matched.map((frame) => (frame as { room: { id: string } }).room.id)).size).to.equal(1);
    clients.forEach((client) => client.close());
  });
});
