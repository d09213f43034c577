import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { freePort } from '../../common/free-port.js';
import { Launcher, serviceSpec, type ServiceSpec } from '../../common/launcher.js';
import { eventually } from '../support/broker.js';

const SCRIPT = 'test/support/fixtures/tiny-service.ts';

/** The one process launcher (npm start, chaos, the benches' own stacks), on real child processes. */
describe('the process launcher', function () {
  this.timeout(60_000);
  let directory: string;
  let launcher: Launcher | undefined;
  const logFile = () => join(directory, 'services.log');
  const tiny = async (name: string, env: NodeJS.ProcessEnv = {}): Promise<ServiceSpec> => {
    const port = await freePort();
    return { name, script: SCRIPT, port, env: { PORT: String(port), GREETING: name, ...env } };
  };

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'matchq-launcher-'));
  });
  afterEach(async () => {
    await launcher?.stopAll();
    launcher = undefined;
    rmSync(directory, { recursive: true, force: true });
  });

  it('pipes every line of each child into the log, prefixed with its name, and stops them all gracefully', async () => {
    launcher = new Launcher({ env: { ...process.env, GREETING: 'unused' }, logFile: logFile() });
    launcher.start(await tiny('one'));
    launcher.start(await tiny('two'));
    await launcher.waitReady('one');
    await launcher.waitReady('two');
    expect(await launcher.allReady()).to.equal(true);
    expect(launcher.pids()).to.have.length(2);
    expect(launcher.pids('tw')).to.deep.equal([launcher.children.get('two')!.pid]);
    await launcher.stopAll();
    const lines = readFileSync(logFile(), 'utf8').split('\n');
    for (const name of ['one', 'two']) {
      expect(lines).to.include.members([`${name} | hello ${name}`, `${name} | warning ${name}`, `${name} | goodbye`]);
    }
    expect(launcher.children.size).to.equal(0);
  });

  it('leaves a child it killed -9 down until asked, then starts it again with the same spec', async () => {
    launcher = new Launcher({ logFile: logFile() });
    const first = launcher.start(await tiny('victim'));
    await launcher.waitReady('victim');
    const exited = new Promise((resolve) => first.once('exit', (_code, signal) => resolve(signal)));
    launcher.kill('victim');
    expect(await exited).to.equal('SIGKILL');
    expect(launcher.children.has('victim')).to.equal(false);
    expect(await launcher.ready('victim')).to.equal(false);
    const second = launcher.restart('victim');
    expect(second.pid).to.not.equal(first.pid);
    await launcher.waitReady('victim');
  });

  it('restarts a child that dies on its own when told to (a supervisor), but not one it stopped', async () => {
    const said: string[] = [];
    launcher = new Launcher({ restart: 'on-exit', say: (line) => said.push(line), logFile: logFile() });
    const first = launcher.start(await tiny('crashy'));
    await launcher.waitReady('crashy');
    launcher.kill('crashy');
    await eventually('a new crashy', () => (launcher!.children.get('crashy')?.pid ?? first.pid) !== first.pid, 20_000);
    expect(said).to.deep.equal(['crashy exited (SIGKILL); restarting in 1000 ms']);
    await launcher.waitReady('crashy');
    await launcher.stop('crashy');
    expect(launcher.children.has('crashy')).to.equal(false);
    expect(said).to.have.length(1);
  });

  it('fails waitReady at once, naming the log, when the child exits at start', async () => {
    launcher = new Launcher({ logFile: logFile() });
    launcher.start(await tiny('doomed', { EXIT_AT_START: '3' }));
    let failure: Error | undefined;
    await launcher.waitReady('doomed', 30_000).catch((error: Error) => (failure = error));
    expect(failure?.message).to.equal(`doomed exited before it was ready; see ${logFile()}`);
  });

  it('kills a child that ignores SIGTERM once the grace is over', async () => {
    launcher = new Launcher({ stopGraceMs: 500, logFile: logFile() });
    const child = launcher.start(await tiny('stubborn', { IGNORE_SIGTERM: '1' }));
    await launcher.waitReady('stubborn');
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    await launcher.stop('stubborn');
    expect(await exited).to.equal('SIGKILL');
  });

  it('gives each matchq service its port and id the way the service reads them', () => {
    expect(serviceSpec('producer', 'gateway-1', 4100)).to.deep.include({
      script: 'services/producer/main.ts',
      port: 4100,
      env: { PORT: '4100', GATEWAY_ID: 'gateway-1' },
    });
    expect(serviceSpec('matcher', 'm', 4101, { id: 'ns-m0' }).env).to.deep.equal({ METRICS_PORT: '4101', MATCHER_ID: 'ns-m0' });
    expect(serviceSpec('notifier', 'n', 4102, { env: { LOG_LEVEL: 'warn' } }).env).to.deep.equal({ LOG_LEVEL: 'warn', METRICS_PORT: '4102' });
  });
});
