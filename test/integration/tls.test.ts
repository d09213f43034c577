import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import amqplib from 'amqplib';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { startPrivateRabbit, startPrivateRedis, type PrivateRabbit, type PrivateRedis } from '../../chaos/private-nodes.js';
import { freePort } from '../../common/free-port.js';
import { makeTestPki, type TestPki } from '../support/certificates.js';
import { newNamespace } from '../support/namespace.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a service's main.ts as its own process, as `npm run notifier` would; output collected. */
function startProcess(script: string, env: NodeJS.ProcessEnv) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exit, output: () => output };
}

/**
 * TLS to the backing services by URL alone: amqps:// and rediss:// against a private RabbitMQ
 * node with a TLS listener and a private Redis that speaks only TLS, certificates made here.
 * The CA is trusted through NODE_EXTRA_CA_CERTS, as an operator with a private CA would.
 */
describe('TLS to RabbitMQ and Redis, by URL', function () {
  this.timeout(180_000);
  let pki: TestPki;
  let rabbit: PrivateRabbit;
  let redis: PrivateRedis;
  const namespace = newNamespace();

  before(async () => {
    pki = makeTestPki();
    const tls = { ca: pki.ca, cert: pki.serverCert, key: pki.serverKey };
    [rabbit, redis] = await Promise.all([startPrivateRabbit({ tls }), startPrivateRedis({ tls })]);
  });

  after(async () => {
    await Promise.all([rabbit?.stop(), redis?.stop()]);
    pki?.remove();
  });

  it('serves only TLS where the URLs say so (a plain client is refused, a TLS one with the CA answers)', async () => {
    const ca = readFileSync(pki.ca);
    const connection = await amqplib.connect(rabbit.tlsUrl!, { ca: [ca] });
    await connection.close();
    const secure = new Redis(redis.url, { tls: { ca }, lazyConnect: true, maxRetriesPerRequest: 0 });
    await secure.connect();
    expect(await secure.ping()).to.equal('PONG');
    secure.disconnect();
    const plain = new Redis(redis.url.replace('rediss://', 'redis://'), {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 5000,
    });
    // The refused handshake is the point of the test: it is read from connect()'s rejection below, not from this event.
    plain.on('error', () => undefined);
    const answer = await plain.connect().then(
      () => plain.ping(),
      (error: Error) => `refused: ${error.message}`,
    );
    plain.disconnect();
    expect(answer).to.not.equal('PONG');
  });

  it('runs a service over amqps:// and rediss:// with the CA trusted, and it is ready', async () => {
    const metricsPort = await freePort();
    const service = startProcess('services/notifier/main.ts', {
      AMQP_URL: rabbit.tlsUrl,
      REDIS_URL: redis.url,
      METRICS_PORT: String(metricsPort),
      MATCHQ_NAMESPACE: namespace,
      NODE_EXTRA_CA_CERTS: pki.ca,
      LOG_LEVEL: 'warn',
    });
    try {
      let status = 0;
      const deadline = Date.now() + 90_000;
      while (status !== 200 && Date.now() < deadline && service.child.exitCode === null) {
        status = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).then(
          (response) => response.status,
          () => 0,
        );
        if (status !== 200) await sleep(250);
      }
      expect(status, service.output()).to.equal(200);
      // The broker's side: the notifier's connection is a TLS one.
      const connections = JSON.parse(await rabbit.ctl('list_connections', 'ssl', 'ssl_protocol', 'peer_port', '--formatter', 'json')) as { ssl: boolean }[];
      expect(connections.length).to.be.greaterThan(0);
      expect(connections.every((connection) => connection.ssl)).to.be.true;
    } finally {
      service.child.kill('SIGTERM');
      await service.exit;
    }
  });

  it('checks the certificate: without the CA a service stops at start with one line naming the URL', async () => {
    const service = startProcess('services/notifier/main.ts', {
      AMQP_URL: rabbit.tlsUrl,
      REDIS_URL: redis.url,
      METRICS_PORT: '0',
      MATCHQ_NAMESPACE: namespace,
    });
    const code = await service.exit;
    expect(code).to.equal(1);
    const lines = service.output().trim().split('\n');
    expect(lines, service.output()).to.have.length(1);
    expect(lines[0], lines[0]).to.match(/RabbitMQ is not reachable at amqps:\/\/guest:\*\*\*@127\.0\.0\.1:\d+ \(.*certificate.*\)/);
  });
});
