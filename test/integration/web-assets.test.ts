import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { serveStatic } from '../../services/producer/static-files.js';

/**
 * The pages as the gateway serves them: the HTML and CSS from public/, the scripts bundled by
 * esbuild from web/ on the first request (with @matchq/client and uPlot inside), uPlot's
 * stylesheet from node_modules; nothing a page needs comes from beyond the gateway.
 */
describe('web assets: the lobby and dashboard as served', function () {
  this.timeout(60_000);
  let server: Server;
  let base: string;

  before(async () => {
    server = createServer((req, res) => {
      if (!serveStatic(req, res)) {
        res.writeHead(418);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = (path: string, method = 'GET') => fetch(`${base}${path}`, { method });

  it('serves each page, and every script and stylesheet it names', async () => {
    for (const page of ['/', '/dashboard']) {
      const response = await get(page);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.equal('text/html; charset=utf-8');
      const html = await response.text();
      const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!).filter((url) => url.startsWith('/assets/'));
      expect(assets.length).to.be.greaterThan(1);
      // Local only: no CDN, no other host.
      expect(html).not.to.match(/(?:src|href)="(?:https?:)?\/\//);
      for (const asset of assets) {
        const loaded = await get(asset);
        expect(loaded.status, asset).to.equal(200);
        expect((await loaded.arrayBuffer()).byteLength, asset).to.be.greaterThan(100);
      }
    }
  });

  it('bundles the lobby with the SDK and the dashboard with uPlot, each one self-contained script', async () => {
    const lobby = await get('/assets/lobby.js');
    expect(lobby.headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
    const lobbyText = await lobby.text();
    const dashboardText = await (await get('/assets/dashboard.js')).text();
    for (const text of [lobbyText, dashboardText]) {
      // Bundled: no import of anything left for the browser to fetch (the SDK's optional `ws` is behind a variable).
      expect(text).not.to.match(/(?:^|[;}\s])import\s*[{*"'\w]/);
      expect(text).to.match(/sourceMappingURL=/);
    }
    // The lobby talks through @matchq/client (its error names are in the bundle), and zod is tree-shaken.
    expect(lobbyText).to.include('MatchqConnectionError');
    expect(lobbyText.length).to.be.lessThan(250_000);
    expect(dashboardText).to.include('uplot');
    const map = await get('/assets/lobby.js.map');
    expect(map.status).to.equal(200);
    expect(((await map.json()) as { sources: string[] }).sources.some((source) => source.endsWith('web/lobby/state.ts'))).to.equal(true);
    expect((await get('/assets/uplot.css')).headers.get('content-type')).to.equal('text/css; charset=utf-8');
  });

  it('answers HEAD without a body, 404 for a missing file, and leaves other paths alone', async () => {
    const head = await get('/assets/lobby.js', 'HEAD');
    expect(head.status).to.equal(200);
    expect(await head.text()).to.equal('');
    expect((await get('/assets/nothing.js')).status).to.equal(404);
    expect((await get('/assets/nothing.css')).status).to.equal(404);
    expect((await get('/assets/%2e%2e/static-files.ts')).status).to.equal(418);
    expect((await get('/elsewhere')).status).to.equal(418);
    expect((await get('/', 'POST')).status).to.equal(418);
  });
});
