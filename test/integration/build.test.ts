import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { createDb, migrateLatest } from '../../common/db.js';
import { freePort } from '../../common/free-port.js';
import { dropNamespace, newDatabase, newNamespace } from '../support/namespace.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

/** Every file under `dir`, relative to it. */
const filesUnder = (dir: string) => readdirSync(dir, { recursive: true, encoding: 'utf8' });

/**
 * `npm run build` into a folder of the test's own (beside a link to node_modules, as dist/ sits
 * in the repository), then the build run with plain node: no TypeScript loader in any process.
 */
describe('the build: plain JavaScript that runs without tsx', function () {
  this.timeout(120_000);
  let home: string;
  let out: string;
  const namespace = newNamespace();
  let databaseUrl: string;

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'matchq-build-'));
    symlinkSync(join(root, 'node_modules'), join(home, 'node_modules'));
    out = join(home, 'dist');
    const built = await run(['--import', 'tsx', 'cli/build.ts', '--outdir', out]);
    expect(built.code, built.stderr).to.equal(0);
    databaseUrl = await newDatabase(namespace);
  });
  after(async () => {
    await dropNamespace(namespace, [{ mode: 'ffa3', region: 'global' }], databaseUrl);
    rmSync(home, { recursive: true, force: true });
  });

  it('holds no TypeScript, and every file the code reads at run time beside the code that reads it', () => {
    const files = filesUnder(out);
    expect(files.filter((file) => file.endsWith('.ts'))).to.deep.equal([]);
    for (const entry of ['producer', 'matcher', 'notifier', 'recorder', 'allocator']) expect(files).to.include(`services/${entry}/main.js`);
    for (const command of ['start', 'migrate', 'provision', 'players', 'servers', 'tap', 'verify-token', 'demo-game-server'])
      expect(files).to.include(`cli/${command}.js`);
    for (const lua of readdirSync(join(root, 'common/lua'))) expect(files).to.include(`common/lua/${lua}`);
    for (const page of readdirSync(join(root, 'services/producer/public'))) expect(files).to.include(`services/producer/public/${page}`);
    expect(files).to.include.members(['services/producer/web-out/lobby.js', 'services/producer/web-out/dashboard.js']);
    const migrations = readdirSync(join(root, 'migrations')).map((file) => file.replace(/\.ts$/, '.js'));
    expect(files.filter((file) => file.startsWith('migrations/') && file.endsWith('.js'))).to.have.members(migrations.map((file) => `migrations/${file}`));
  });

  it('migrates with the build under the sources’ names, so either one finds the other’s database up to date', async () => {
    const migrated = await run([join(out, 'cli/migrate.js')], { DATABASE_URL: databaseUrl });
    expect(migrated.code, migrated.stderr).to.equal(0);
    const names = readdirSync(join(root, 'migrations')).sort();
    expect(migrated.stdout).to.equal(`applied ${names.join(', ')}\n`);
    const db = createDb(databaseUrl, 1);
    try {
      expect(await migrateLatest(db)).to.deep.equal([]);
    } finally {
      await db.destroy();
    }
    expect((await run([join(out, 'cli/migrate.js')], { DATABASE_URL: databaseUrl })).stdout).to.equal('already up to date\n');
  });

  it("runs npm start's supervisor from the build: its children are built services under plain node, each ready", async () => {
    // The gateway signs players in: its database has the schema (a no-op after the test above).
    const db = createDb(databaseUrl, 1);
    await migrateLatest(db).finally(() => db.destroy());
    const { Launcher, serviceSpec } = (await import(pathToFileURL(join(out, 'common/launcher.js')).href)) as typeof import('../../common/launcher.js');
    const launcher = new Launcher({
      env: { ...process.env, MATCHQ_NAMESPACE: namespace, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
      logFile: join(home, 'services.log'),
    });
    try {
      const gatewayPort = await freePort();
      launcher.start(serviceSpec('producer', 'producer', gatewayPort, { id: `${namespace}-gw0` }));
      launcher.start(serviceSpec('matcher', 'matcher', await freePort(), { id: `${namespace}-m0` }));
      launcher.start(serviceSpec('notifier', 'notifier', await freePort()));
      launcher.start(serviceSpec('recorder', 'recorder', await freePort()));
      for (const name of ['producer', 'matcher', 'notifier', 'recorder']) {
        await launcher.waitReady(name);
        const commandLine = readFileSync(`/proc/${launcher.children.get(name)!.pid}/cmdline`, 'utf8')
          .split('\0')
          .filter(Boolean);
        expect(commandLine, name).to.deep.equal([process.execPath, join(out, `services/${name}/main.js`)]);
      }
      // The pages from the build's public/, the lobby's script as the build bundled it.
      const page = await fetch(`http://127.0.0.1:${gatewayPort}/`);
      expect(page.status).to.equal(200);
      expect(await page.text()).to.include('/assets/lobby.js');
      const script = await fetch(`http://127.0.0.1:${gatewayPort}/assets/lobby.js`);
      expect(Buffer.from(await script.arrayBuffer()).equals(readFileSync(join(out, 'services/producer/web-out/lobby.js')))).to.equal(true);
    } finally {
      await launcher.stopAll();
    }
  });

  it("npm start's build says nothing (--quiet), and a backing service away is then the one line npm start prints, exit 1", async () => {
    const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).to.match(/^npm run build --silent -- --quiet && node dist\/cli\/start\.js$/);
    const again = join(home, 'dist-quiet');
    const built = await run(['--import', 'tsx', 'cli/build.ts', '--outdir', again, '--quiet']);
    expect(built, built.stderr).to.deep.include({ code: 0, stdout: '', stderr: '' });
    const result = await run([join(out, 'cli/start.js')], { AMQP_URL: 'amqp://guest:secret@127.0.0.1:5999', PORT: '0', METRICS_PORT: '0' });
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stderr.trim().split('\n')).to.deep.equal([
      'matchq start: RabbitMQ is not reachable at amqp://guest:***@127.0.0.1:5999 (connect ECONNREFUSED 127.0.0.1:5999); start it with: rabbitmq-server -detached',
    ]);
    expect(result.stdout).to.equal('');
  });

  it('starts `node dist/cli/start.js` as npm start does: a port in use is one clear line, exit 1', async () => {
    const server: Server = createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, '0.0.0.0', () => resolve((server.address() as { port: number }).port)));
    try {
      const result = await run([join(out, 'cli/start.js')], { PORT: String(port) });
      expect(result.code, result.stderr).to.equal(1);
      expect(result.stderr.trim().split('\n')).to.deep.equal([
        `matchq start: port ${port} is in use: another matchq, or another program, listens there; stop it or set PORT`,
      ]);
    } finally {
      server.close();
    }
  });
});
