import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { createJoinTokenSigner } from '../../common/join-token.js';
import { startStack, type Stack } from '../support/stack.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/browser-pages.js';

const ENTRY = fileURLToPath(new URL('../../packages/client/src/index.ts', import.meta.url));

/** What the page hands back: plain data across the page boundary. */
interface PageResult {
  globalWebSocket: boolean;
  names: string[];
  rooms: string[];
  refusal: string;
}

/** @matchq/client bundled for the browser (esbuild, as a game's bundler would) in Chromium, against the real pipeline. */
describe('@matchq/client in a browser', function () {
  this.timeout(90_000);
  let stack: Stack;
  let browser: Browser;
  let bundle: string;

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`the browser tests need Debian's Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    const built = await build({
      entryPoints: [ENTRY],
      bundle: true,
      format: 'iife',
      globalName: 'matchq',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    bundle = built.outputFiles[0]!.text;
    stack = await startStack({ tickMs: 100 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** A page of the gateway's own origin (as a game's page would be served from its own) with the SDK loaded, and its errors. */
  async function sdkPage() {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(stack.httpUrl('/healthz'));
    await page.addScriptTag({ content: bundle });
    return { page, errors };
  }

  it('bundles without ws and plays a match on the global WebSocket: three players, one room', async () => {
    expect(bundle).to.not.match(/require\(["']ws["']\)/);
    const players = [await stack.addPlayer('web-a'), await stack.addPlayer('web-b'), await stack.addPlayer('web-c')];
    const { page, errors } = await sdkPage();
    const result = await page.evaluate(
      async ({ url, tokens }): Promise<PageResult> => {
        const sdk = (globalThis as unknown as { matchq: typeof import('../../packages/client/src/index.js') }).matchq;
        const clients = tokens.map((token) => sdk.connect(url, token));
        const hellos = await Promise.all(clients.map((client) => client.ready()));
        const refusal = await clients[0]!.leave().then(
          () => 'none',
          (error: unknown) => (sdk.isMatchqError(error) ? error.code : String(error)),
        );
        const rooms = clients.map((client) => new Promise<string>((resolve) => client.once('matched', (frame) => resolve(frame.room.id))));
        await Promise.all(clients.map((client) => client.join('ffa3', 'global')));
        const ids = await Promise.all(rooms);
        clients.forEach((client) => client.close());
        return { globalWebSocket: typeof WebSocket === 'function', names: hellos.map((hello) => hello.player.name), rooms: ids, refusal };
      },
      { url: stack.gatewayUrl(), tokens: players.map((player) => player.token) },
    );
    await page.close();
    expect(errors).to.deep.equal([]);
    expect(result.globalWebSocket).to.equal(true);
    expect(result.names).to.deep.equal(players.map((player) => player.name));
    expect(result.refusal).to.equal('not_queued');
    expect(new Set(result.rooms).size, 'one room').to.equal(1);
  });

  it('verifies a join token the server signed, in the page (Web Crypto), and refuses one for another key or room', async () => {
    const secret = 'browser-join-token-secret-0123456789';
    const token = await createJoinTokenSigner(secret, 300)('player-b', 'room-b');
    const { page, errors } = await sdkPage();
    const result = await page.evaluate(
      async ({ token, secret }) => {
        const sdk = (globalThis as unknown as { matchq: typeof import('../../packages/client/src/index.js') }).matchq;
        // Inline arrows only: a named one would be compiled with a helper the page does not have.
        const refusals = await Promise.all(
          [sdk.verifyJoinToken(token, 'not-the-secret'), sdk.verifyJoinToken(token, secret, { room: 'room-c' })].map((promise) =>
            promise.then(
              () => 'admitted',
              (error: unknown) => (error instanceof sdk.InvalidJoinToken ? error.reason : String(error)),
            ),
          ),
        );
        return { claims: await sdk.verifyJoinToken(token, secret, { room: 'room-b' }), refusals };
      },
      { token, secret },
    );
    await page.close();
    expect(errors).to.deep.equal([]);
    expect(result.claims).to.include({ sub: 'player-b', room: 'room-b' });
    expect(result.claims.exp - result.claims.iat).to.equal(300);
    expect(result.refusals).to.deep.equal(['signature', 'room']);
  });
});
