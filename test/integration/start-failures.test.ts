import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import amqplib from 'amqplib';
import { expect } from 'chai';
import { amqpNames } from '../../common/names.js';
import { openMigratedDb } from '../../common/db.js';
import { dropNamespace, newDatabase, newNamespace, AMQP_URL } from '../support/namespace.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function run(script: string, env: NodeJS.ProcessEnv, timeout = 45_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script],
      { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

const occupy = (): Promise<{ server: Server; port: number }> =>
  new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '0.0.0.0', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });

/** Start failures an operator meets: each is one clear line and exit 1, never a stack trace or a restart loop. */
describe('start failures: one clear line, exit 1', function () {
  this.timeout(90_000);

  it('a topology the broker refuses (a queue of another type: PRECONDITION_FAILED)', async () => {
    const namespace = newNamespace();
    const connection = await amqplib.connect(AMQP_URL);
    const channel = await connection.createChannel();
    // Someone declared the notifier's queue as a quorum queue; this notifier wants a classic one.
    await channel.assertQueue(amqpNames(namespace).notifier, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await connection.close();
    try {
      const result = await run('services/notifier/main.ts', { MATCHQ_NAMESPACE: namespace, QUEUE_TYPE: 'classic', METRICS_PORT: '0' });
      expect(result.code, result.stderr).to.equal(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines, result.stderr).to.have.length(1);
      expect(lines[0])
        .to.match(/^matchq notifier: RabbitMQ refused the topology: .*PRECONDITION_FAILED/)
        .and.include(amqpNames(namespace).notifier);
    } finally {
      await dropNamespace(namespace, []);
    }
  });

  it('npm run producer on a port in use', async () => {
    const namespace = newNamespace();
    const databaseUrl = await newDatabase(namespace);
    await (await openMigratedDb(databaseUrl, 1)).db.destroy();
    const { server, port } = await occupy();
    try {
      const result = await run('services/producer/main.ts', { PORT: String(port), MATCHQ_NAMESPACE: namespace, DATABASE_URL: databaseUrl });
      expect(result.code, result.stderr).to.equal(1);
      expect(result.stderr.trim().split('\n'), result.stderr).to.deep.equal([
        `matchq producer: port ${port} is in use: another matchq, or another program, listens there; stop it or set PORT`,
      ]);
    } finally {
      server.close();
      await dropNamespace(namespace, [{ mode: 'ffa3', region: 'global' }], databaseUrl);
    }
  });

  it('npm start with an allocator setting its allocator would refuse (a certificate file that is not there): one line, before any child starts', async () => {
    const result = await run('cli/start.ts', {
      ALLOCATOR: 'agones',
      AGONES_ALLOCATOR_URL: 'https://127.0.0.1:5999/gameserverallocation',
      AGONES_CLIENT_CERT: '/nonexistent/client.pem',
      AGONES_CLIENT_KEY: '/nonexistent/client.key',
      JOIN_TOKEN_SECRET: 'start-failures-join-token-secret-0123456789',
      PORT: '0',
      METRICS_PORT: '0',
    });
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stderr.trim().split('\n')).to.deep.equal(['matchq start: invalid AGONES_CLIENT_CERT: cannot read /nonexistent/client.pem (ENOENT)']);
    expect(result.stdout).to.equal('');
  });

  it('npm start while another one runs (its port in use): no banner, no restart loop', async () => {
    const { server, port } = await occupy();
    try {
      const result = await run('cli/start.ts', { PORT: String(port) });
      expect(result.code, result.stderr).to.equal(1);
      const lines = result.stderr
        .trim()
        .split('\n')
        .filter((line) => !line.startsWith('matchq: migrations applied'));
      expect(lines, result.stderr).to.deep.equal([
        `matchq start: port ${port} is in use: another matchq, or another program, listens there; stop it or set PORT`,
      ]);
      expect(result.stdout).to.equal('');
    } finally {
      server.close();
    }
  });
});
