import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { createJoinTokenSigner } from '../../common/join-token.js';
import { FleetStub } from '../support/fleet-stub.js';
import { startStack, type Stack } from '../support/stack.js';

const run = promisify(execFile);
const PACKAGE_DIR = fileURLToPath(new URL('../../packages/client', import.meta.url));
const TSC = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
const JOIN_TOKEN_SECRET = 'client-tarball-join-token-secret-0123456789';

/** The README's ten-line game client: the first js block of its section for game developers. */
function readmeClient(): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## For game developers'));
  return section.split('```js\n')[1]!.split('```')[0]!;
}

/** The README's game server admitting a player: the join token snippet that uses the SDK. */
function readmeAdmit(): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('**Join tokens.**'));
  return section
    .split('```js\n')
    .slice(1)
    .map((block) => block.split('```')[0]!)
    .find((block) => block.includes("from '@matchq/client'"))!;
}

/**
 * A game client as a game developer writes it: only the installed package, nothing from this repo.
 * The game server's part too: each player's join token checked with the package's verifyJoinToken.
 */
const PLAY = `
import { connect, InvalidJoinToken, isMatchqError, verifyJoinToken } from '@matchq/client';
import { parseServerFrame } from '@matchq/client/wire';

const [url, ...tokens] = process.argv.slice(2);
const clients = tokens.map((token) => connect(url, token));
const hellos = await Promise.all(clients.map((client) => client.ready()));
const refusal = await clients[0].leave().then(() => 'none', (error) => (isMatchqError(error, 'not_queued') ? error.code : String(error)));
const rooms = clients.map((client) => new Promise((resolve) => client.once('matched', resolve)));
const queued = await Promise.all(clients.map((client) => client.join('ffa3', 'global')));
const matched = await Promise.all(rooms);
clients.forEach((client) => client.close());
const secret = process.env.JOIN_TOKEN_SECRET;
const claims = await Promise.all(matched.map((frame) => verifyJoinToken(frame.joinToken, secret, { room: frame.room.id })));
const reasonOf = (promise) => promise.then(() => 'admitted', (error) => (error instanceof InvalidJoinToken ? error.reason : String(error)));
console.log(JSON.stringify({
  names: hellos.map((hello) => hello.player.name),
  playerIds: hellos.map((hello) => hello.player.id),
  claims,
  otherKey: await reasonOf(verifyJoinToken(matched[0].joinToken, 'not-the-secret')),
  otherRoom: await reasonOf(verifyJoinToken(matched[0].joinToken, secret, { room: 'another-room' })),
  refusal,
  tickets: queued.map((frame) => frame.ticketId),
  matched: matched.map((frame) => ({ ticketId: frame.ticketId, roomId: frame.room.id, players: frame.room.players.length })),
  wireParses: parseServerFrame('{"type":"party","party":null}').ok,
}));
`;

/** The package's types, checked as a TypeScript game client would use them. */
const TYPED = `
import { connect, InvalidJoinToken, MatchqError, verifyJoinToken, type JoinClaims, type MatchedFrame, type QueuedFrame, type ServerFrame } from '@matchq/client';

export async function admit(token: string, secret: string, room: string): Promise<string | null> {
  try {
    const claims: JoinClaims = await verifyJoinToken(token, secret, { room });
    return claims.sub;
  } catch (error) {
    if (error instanceof InvalidJoinToken && error.reason === 'expired') return null;
    throw error;
  }
}

export async function play(url: string, token: string): Promise<string> {
  const client = connect(url, token);
  client.on('searching', (frame) => frame.window.toFixed(0));
  client.on('left', (frame) => { const reason: 'cancelled' | 'timeout' | 'party_changed' | 'declined' | 'accept_timeout' | 'allocation_failed' = frame.reason; return reason; });
  const queued: QueuedFrame = await client.join('ffa3', 'global');
  const matched = await new Promise<MatchedFrame>((resolve) => client.once('matched', resolve));
  const any: ServerFrame = matched;
  try { await client.leave(); } catch (error) { if (error instanceof MatchqError && error.code === 'not_queued') return queued.ticketId; }
  return any.type;
}
`;

describe('@matchq/client, packed and installed like a game developer would', function () {
  this.timeout(240_000);
  let stack: Stack;
  let fleet: FleetStub;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'matchq-client-'));
    // npm pack runs prepack, which builds dist/ with tsc.
    await run('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: PACKAGE_DIR });
    const tarball = readdirSync(dir).find((file) => file.endsWith('.tgz'));
    expect(tarball, 'npm pack made a tarball').to.be.a('string');
    const app = join(dir, 'game');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'game', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, tarball!), 'ws@^8'], { cwd: app });
    // With an allocator, so that every matched frame carries a join token the pipeline signed.
    fleet = (await FleetStub.start()).answer({ status: 201, body: { address: '198.51.100.7:7777' } });
    stack = await startStack({ tickMs: 100, env: { ALLOCATOR: 'http', ALLOCATOR_URL: fleet.url, JOIN_TOKEN_SECRET } });
  });
  after(async () => {
    await stack?.stop();
    await fleet?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("plays a match: three players sign in, join, and each gets matched into one room, with a join token the package's verifyJoinToken admits", async () => {
    const app = join(dir, 'game');
    writeFileSync(join(app, 'play.mjs'), PLAY);
    const players = [await stack.addPlayer('tarball-a'), await stack.addPlayer('tarball-b'), await stack.addPlayer('tarball-c')];
    const { stdout } = await run('node', ['play.mjs', stack.gatewayUrl(), ...players.map((player) => player.token)], {
      cwd: app,
      timeout: 60_000,
      env: { ...process.env, JOIN_TOKEN_SECRET },
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      names: string[];
      playerIds: string[];
      claims: { sub: string; room: string; iat: number; exp: number }[];
      otherKey: string;
      otherRoom: string;
      refusal: string;
      tickets: string[];
      matched: { ticketId: string; roomId: string; players: number }[];
      wireParses: boolean;
    };
    expect(result.names).to.deep.equal(players.map((player) => player.name));
    expect(result.refusal).to.equal('not_queued');
    expect(result.matched.map((frame) => frame.ticketId)).to.deep.equal(result.tickets);
    expect(new Set(result.matched.map((frame) => frame.roomId)).size, 'one room').to.equal(1);
    expect(result.matched.every((frame) => frame.players === 3)).to.equal(true);
    expect(result.wireParses).to.equal(true);
    expect(result.claims.map((claims) => claims.sub)).to.deep.equal(result.playerIds);
    expect(result.claims.map((claims) => claims.room)).to.deep.equal(result.matched.map((frame) => frame.roomId));
    expect(result.claims.every((claims) => claims.exp - claims.iat === 300)).to.equal(true);
    expect([result.otherKey, result.otherRoom]).to.deep.equal(['signature', 'room']);
  });

  it("runs the README's ten-line game client: three of them, one room", async () => {
    const app = join(dir, 'game');
    const code = readmeClient();
    expect(code.trim().split('\n')).to.have.length.at.most(10);
    // The README's gateway is the default port; this stack's is its own.
    expect(code).to.include("'ws://localhost:8080'");
    writeFileSync(join(app, 'readme-client.mjs'), code.replace("'ws://localhost:8080'", `'${stack.gatewayUrl()}'`));
    const players = [await stack.addPlayer('readme-a'), await stack.addPlayer('readme-b'), await stack.addPlayer('readme-c')];
    const outputs = await Promise.all(
      players.map((player) =>
        run('node', ['readme-client.mjs'], { cwd: app, timeout: 60_000, env: { ...process.env, TOKEN: player.token } }).catch(
          (error: Error & { stdout?: string; stderr?: string; signal?: string; code?: number }) => {
            throw new Error(`${player.name}'s client failed (exit ${error.code}, signal ${error.signal}); stdout: ${error.stdout}; stderr: ${error.stderr}`);
          },
        ),
      ),
    );
    const roomLines = outputs.map(({ stdout }, index) => {
      expect(stdout).to.include(`signed in as ${players[index]!.name} (1500)`);
      return stdout.split('\n').find((line) => line.startsWith('room '));
    });
    expect(
      roomLines.every((line) => line === roomLines[0]),
      roomLines.join(' | '),
    ).to.equal(true);
    for (const player of players) expect(roomLines[0]).to.include(player.name);
  });

  it("runs the README's game server snippet: admits the token's player to its room, refuses another room and another key", async () => {
    const app = join(dir, 'game');
    const code = readmeAdmit();
    expect(code).to.include('verifyJoinToken');
    // Inside the game's folder, so that its imports resolve to the installed package.
    writeFileSync(join(app, 'admit.mjs'), code);
    const { admit } = (await import(join(app, 'admit.mjs'))) as { admit: (token: string, roomId: string) => Promise<string> };
    const previous = process.env.JOIN_TOKEN_SECRET;
    process.env.JOIN_TOKEN_SECRET = JOIN_TOKEN_SECRET;
    try {
      const token = await createJoinTokenSigner(JOIN_TOKEN_SECRET, 300)('player-9', 'room-9');
      const forged = await createJoinTokenSigner('forger-key', 300)('player-9', 'room-9');
      expect(await admit(token, 'room-9')).to.equal('player-9');
      const refusals = await Promise.all(
        [admit(token, 'room-10'), admit(forged, 'room-9')].map((attempt) =>
          attempt.then(
            () => 'admitted',
            (error: Error & { reason?: string }) => `${error.name} ${error.reason}`,
          ),
        ),
      );
      expect(refusals).to.deep.equal(['InvalidJoinToken room', 'InvalidJoinToken signature']);
    } finally {
      if (previous === undefined) delete process.env.JOIN_TOKEN_SECRET;
      else process.env.JOIN_TOKEN_SECRET = previous;
    }
  });

  it('ships types a TypeScript game client compiles against', async () => {
    const app = join(dir, 'game');
    writeFileSync(join(app, 'typed.ts'), TYPED);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          lib: ['ES2022', 'DOM'],
          types: [],
        },
        files: ['typed.ts'],
      }),
    );
    const checked = await run('node', [TSC, '-p', app], { cwd: app }).then(
      () => 'ok',
      (error: { stdout: string }) => error.stdout,
    );
    expect(checked).to.equal('ok');
  });
});
