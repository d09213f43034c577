import { expect } from 'chai';
import { ConfigError } from '../../common/config.js';
import type { AllocatorBackend } from '../../services/allocator/allocation.js';
import { createAgonesBackend, type AgonesBackendOptions } from '../../services/allocator/agones-backend.js';
import { makeTestPki, type TestPki } from '../support/certificates.js';
import { FleetStub } from '../support/fleet-stub.js';
import { sampleRoom } from '../support/rooms.js';

/** What the Agones allocator service answers a GameServerAllocation (its REST gateway's AllocationResponse). */
const allocated = (name: string, address: string, port: number) => ({
  gameServerName: name,
  ports: [
    { name: 'default', port },
    { name: 'metrics', port: port + 1 },
  ],
  address,
  addresses: [{ type: 'InternalIP', address }],
  nodeName: 'gke-node-1',
  source: 'local',
  metadata: { labels: { 'agones.dev/fleet': 'matchq' }, annotations: {} },
});
/** How it says no game server is Ready: gRPC ResourceExhausted, HTTP 429 through the gateway. */
const exhausted = { status: 429, body: { code: 8, message: 'there is no available GameServer to allocate', details: [] } };

/**
 * The agones allocator against a real HTTPS server that demands a client certificate from the
 * test's own CA, as the Agones allocator service does, and speaks its request and answer.
 */
describe('agones allocator against a real mutual-TLS allocator service stub', function () {
  this.timeout(30_000);
  let pki: TestPki;
  let agones: FleetStub;
  const backends: AllocatorBackend[] = [];
  const backend = (options: Partial<AgonesBackendOptions> = {}) => {
    const made = createAgonesBackend({
      url: agones.url,
      clientCert: pki.clientCert,
      clientKey: pki.clientKey,
      caCert: pki.ca,
      // Short backoffs keep the tests quick; timeouts stay generous, since the shared machine is often busy.
      namespace: 'default',
      fleet: 'matchq',
      timeoutMs: 2000,
      budgetMs: 5000,
      backoffBaseMs: 20,
      backoffCapMs: 100,
      ...options,
    });
    backends.push(made);
    return made;
  };

  before(() => {
    pki = makeTestPki();
  });
  after(() => pki.remove());
  beforeEach(async () => {
    agones = await FleetStub.start({ path: '/gameserverallocation', tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca } });
  });
  afterEach(async () => {
    for (const each of backends.splice(0)) await each.close();
    await agones.stop();
  });

  it("POSTs the contract's GameServerAllocation with the client certificate, and takes ADDRESS:PORT (first port) and the game server name", async () => {
    const room = { ...sampleRoom(), mode: 'duo' };
    agones.answer({ status: 200, body: allocated('matchq-7xk2p-q9z4t', '35.204.10.11', 7412) });
    const result = await backend({ namespace: 'games', fleet: 'arena' }).allocate(room);
    expect(result).to.deep.equal({ ok: true, server: { address: '35.204.10.11:7412', name: 'matchq-7xk2p-q9z4t' }, attempts: 1 });
    const [seen] = agones.seen;
    expect(seen).to.deep.include({ method: 'POST', path: '/gameserverallocation', clientCn: 'client' });
    expect(seen!.headers['content-type']).to.equal('application/json');
    expect(JSON.parse(seen!.body)).to.deep.equal({
      namespace: 'games',
      gameServerSelectors: [{ matchLabels: { 'agones.dev/fleet': 'arena' } }],
      metadata: { labels: { 'matchq.io/room': room.id, 'matchq.io/mode': 'duo' } },
    });
  });

  it('retries while no game server is Ready (429) and on 5xx, then allocates', async () => {
    agones.answer(exhausted, { status: 503, body: { code: 14, message: 'unavailable' } }, exhausted, {
      status: 200,
      body: allocated('gs-1', '10.0.0.9', 7000),
    });
    const retries: string[] = [];
    const result = await backend().allocate(sampleRoom(), { onRetry: (retry) => retries.push(retry.reason) });
    expect(result).to.deep.include({ ok: true, attempts: 4, server: { address: '10.0.0.9:7000', name: 'gs-1' } });
    expect(retries).to.deep.equal(['no_capacity', 'server_error', 'no_capacity']);
  });

  it('fails the room with budget_spent when the fleet stays full for the whole budget', async () => {
    agones.answer(exhausted);
    const result = await backend({ budgetMs: 800 }).allocate(sampleRoom());
    expect(result).to.deep.include({ ok: false, reason: 'budget_spent' });
    expect(result.attempts).to.be.greaterThan(2);
  });

  it('retries an answer that does not come within the timeout', async () => {
    agones.answer({ status: 200, body: allocated('slow', '10.0.0.1', 1), delayMs: 5000 }, { status: 200, body: allocated('gs-2', '10.0.0.2', 7002) });
    const result = await backend({ timeoutMs: 600 }).allocate(sampleRoom());
    expect(result).to.deep.include({ ok: true, attempts: 2, server: { address: '10.0.0.2:7002', name: 'gs-2' } });
  });

  const failsAtOnce: [string, { status: number; body?: unknown }, string][] = [
    ['a 400 (bad request)', { status: 400, body: { code: 3, message: 'invalid namespace' } }, 'rejected'],
    ['a 403 (RBAC)', { status: 403, body: { code: 7, message: 'forbidden' } }, 'rejected'],
    ['a 404', { status: 404 }, 'rejected'],
    ['a 200 without ports', { status: 200, body: { gameServerName: 'gs', address: '10.0.0.1', ports: [] } }, 'bad_answer'],
    ['a 200 without address', { status: 200, body: { gameServerName: 'gs', ports: [{ name: 'default', port: 7000 }] } }, 'bad_answer'],
  ];
  for (const [what, answer, reason] of failsAtOnce) {
    it(`fails the room at once on ${what}`, async () => {
      agones.answer(answer, { status: 200, body: allocated('never', '10.0.0.1', 1) });
      const result = await backend().allocate(sampleRoom());
      expect(result).to.deep.include({ ok: false, reason, attempts: 1 });
      expect(agones.seen).to.have.length(1);
    });
  }

  it('brackets an IPv6 address so its port stays readable', async () => {
    agones.answer({ status: 200, body: allocated('gs-6', '2001:db8::7', 7600) });
    const result = await backend().allocate(sampleRoom());
    expect(result).to.deep.include({ ok: true, server: { address: '[2001:db8::7]:7600', name: 'gs-6' } });
  });

  it('is refused by the allocator service with a client certificate it does not trust, and allocates nothing', async () => {
    // Under TLS 1.3 the server's refusal reaches the client as a closed socket, like a crash:
    // retried as unreachable until the budget is spent.
    agones.answer({ status: 200, body: allocated('never', '10.0.0.1', 1) });
    const result = await backend({ clientCert: pki.strangerCert, clientKey: pki.strangerKey, budgetMs: 500 }).allocate(sampleRoom());
    expect(result).to.deep.include({ ok: false, reason: 'budget_spent' });
    expect(agones.seen).to.have.length(0);
  });

  it('refuses an allocator service whose certificate is not signed by AGONES_CA_CERT, at once', async () => {
    agones.answer({ status: 200, body: allocated('never', '10.0.0.1', 1) });
    const result = await backend({ caCert: pki.strangerCert }).allocate(sampleRoom());
    expect(result).to.deep.include({ ok: false, reason: 'tls', attempts: 1 });
    expect(agones.seen).to.have.length(0);
  });

  it('names the variable when a certificate file cannot be read', () => {
    expect(() => backend({ clientKey: `${pki.dir}/missing.key` })).to.throw(ConfigError, /AGONES_CLIENT_KEY.*missing\.key/);
  });
});
