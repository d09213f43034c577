import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { passwordVariable } from '../../common/provision/provision.js';
import { ROLES } from '../../common/provision/roles.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CLOSED = '127.0.0.1:5999';

/** Runs an npm script's entry point the way `npm run` does, and collects how it ended. */
function run(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script, ...args],
      { cwd: root, env: { ...process.env, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * The contract: a backing service that cannot be reached gives one clear line naming it,
 * its URL and how to start it, and exit code 1, never a stack trace; an invalid variable
 * stops the process with a message naming it.
 */
describe('commands facing an unreachable backing service or a bad variable', function () {
  this.timeout(60_000);
  const cases: { command: string; script: string; args?: string[]; env: NodeJS.ProcessEnv; names: string; url: string }[] = [
    {
      command: 'producer',
      script: 'services/producer/main.ts',
      env: { DATABASE_URL: `postgres://postgres@${CLOSED}/matchq` },
      names: 'PostgreSQL',
      url: CLOSED,
    },
    { command: 'matcher', script: 'services/matcher/main.ts', env: { AMQP_URL: `amqp://guest:secret@${CLOSED}` }, names: 'RabbitMQ', url: CLOSED },
    { command: 'notifier', script: 'services/notifier/main.ts', env: { REDIS_URL: `redis://${CLOSED}` }, names: 'Redis', url: CLOSED },
    {
      command: 'recorder',
      script: 'services/recorder/main.ts',
      env: { DATABASE_URL: `postgres://postgres@${CLOSED}/matchq` },
      names: 'PostgreSQL',
      url: CLOSED,
    },
    {
      command: 'players',
      script: 'cli/players.ts',
      args: ['add', 'nobody'],
      env: { DATABASE_URL: `postgres://postgres@${CLOSED}/matchq` },
      names: 'PostgreSQL',
      url: CLOSED,
    },
    {
      command: 'servers',
      script: 'cli/servers.ts',
      args: ['list'],
      env: { DATABASE_URL: `postgres://postgres@${CLOSED}/matchq` },
      names: 'PostgreSQL',
      url: CLOSED,
    },
    { command: 'tap', script: 'cli/tap.ts', env: { AMQP_URL: `amqp://${CLOSED}` }, names: 'RabbitMQ', url: CLOSED },
    {
      command: 'provision',
      script: 'cli/provision.ts',
      // A node that does not exist: nothing is asked of the machine's own broker.
      env: {
        RABBITMQCTL: 'rabbitmqctl -n matchq-nowhere@localhost',
        ...Object.fromEntries(ROLES.map((role) => [passwordVariable(role), 'secret-secret-secret'])),
      },
      names: 'RabbitMQ',
      url: 'rabbitmqctl -n matchq-nowhere@localhost',
    },
  ];

  for (const { command, script, args = [], env, names, url } of cases) {
    it(`npm run ${command}: one line naming ${names}, its URL and how to start it, exit 1`, async () => {
      const result = await run(script, args, { ...env, METRICS_PORT: '0', PORT: '0' });
      expect(result.code).to.equal(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines, result.stderr).to.have.length(1);
      expect(lines[0]).to.include(`matchq ${command}: ${names} is not reachable at`).and.include(url).and.include('start it with:');
      expect(lines[0]).to.not.include('secret');
      // Nothing before it either: no log line on stdout ("RabbitMQ connected", "Redis error; reconnecting").
      expect(result.stdout.trim(), result.stdout).to.equal('');
    });
  }

  it('npm run provision: stops at start naming a missing password, before touching anything', async () => {
    const result = await run('cli/provision.ts', [], { RABBITMQCTL: 'rabbitmqctl -n matchq-nowhere@localhost' });
    expect(result.code).to.equal(1);
    expect(result.stderr.trim()).to.equal('matchq provision: invalid MATCHQ_OWNER_PASSWORD: required');
  });

  it('stops at start naming an invalid variable', async () => {
    const result = await run('services/matcher/main.ts', [], { TICK_MS: 'soon' });
    expect(result.code).to.equal(1);
    expect(result.stderr.trim()).to.match(/^matchq matcher: invalid TICK_MS: /);
  });
});
