import { createServer } from 'node:net';
import { expect } from 'chai';
import { AllocationAborted, type AllocatorBackend } from '../../services/allocator/allocation.js';
import { createHttpBackend, type HttpBackendOptions } from '../../services/allocator/http-backend.js';
import { FleetStub } from '../support/fleet-stub.js';
import { sampleRoom } from '../support/rooms.js';

// Short backoffs keep the tests quick; timeouts stay generous, since the shared machine is often busy.
const FAST = { timeoutMs: 1500, budgetMs: 5000, backoffBaseMs: 20, backoffCapMs: 100 };

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The http allocator against a real HTTP fleet stub on a local port. */
describe('http allocator against a real fleet stub', () => {
  let fleet: FleetStub;
  const backends: AllocatorBackend[] = [];
  const backend = (options: Partial<HttpBackendOptions> = {}) => {
    const made = createHttpBackend({ ...FAST, url: fleet.url, ...options });
    backends.push(made);
    return made;
  };

  beforeEach(async () => {
    fleet = await FleetStub.start();
  });
  afterEach(async () => {
    for (const each of backends.splice(0)) await each.close();
    await fleet.stop();
  });

  it('POSTs the final room event with v, keyed by the room id and with the bearer token, and takes every field of the answer as the server', async () => {
    const room = sampleRoom();
    const answer = { address: '203.0.113.7:7777', region: 'eu-west', session: 'abc', ports: [7777] };
    fleet.answer({ status: 201, body: answer });
    const result = await backend({ token: 's3cret' }).allocate(room);
    expect(result).to.deep.equal({ ok: true, server: answer, attempts: 1 });
    expect(fleet.seen).to.have.length(1);
    const [seen] = fleet.seen;
    expect(seen).to.deep.include({ method: 'POST', path: '/allocate' });
    expect(JSON.parse(seen!.body)).to.deep.equal(room);
    expect(JSON.parse(seen!.body)).to.have.property('v', 1);
    expect(seen!.headers['idempotency-key']).to.equal(room.id);
    expect(seen!.headers.authorization).to.equal('Bearer s3cret');
    expect(seen!.headers['content-type']).to.equal('application/json');
  });

  it('sends no Authorization header without ALLOCATOR_TOKEN, and allocates on a 200', async () => {
    fleet.answer({ status: 200, body: { address: 'game-7.example:9000' } });
    const result = await backend().allocate(sampleRoom());
    expect(result).to.deep.equal({ ok: true, server: { address: 'game-7.example:9000' }, attempts: 1 });
    expect(fleet.seen[0]!.headers).to.not.have.property('authorization');
  });

  it('retries 5xx answers with the same Idempotency-Key until one allocates', async () => {
    const room = sampleRoom();
    fleet.answer({ status: 500, body: 'boom' }, { status: 503 }, { status: 502 }, { status: 200, body: { address: '10.1.1.1:7000' } });
    const retries: string[] = [];
    const result = await backend().allocate(room, { onRetry: (retry) => retries.push(retry.reason) });
    expect(result).to.deep.include({ ok: true, attempts: 4 });
    expect(retries).to.deep.equal(['server_error', 'server_error', 'server_error']);
    expect(fleet.seen.map((seen) => seen.headers['idempotency-key'])).to.deep.equal([room.id, room.id, room.id, room.id]);
    expect(new Set(fleet.seen.map((seen) => seen.body)).size).to.equal(1);
  });

  const failsAtOnce: [string, { status: number; body?: unknown; headers?: Record<string, string> }, string][] = [
    ['a 200 without address', { status: 200, body: { host: '10.0.0.1' } }, 'bad_answer'],
    ['a 201 whose address is not a string', { status: 201, body: { address: 7777 } }, 'bad_answer'],
    ['a 200 that is not JSON', { status: 200, body: 'address=10.0.0.1' }, 'bad_answer'],
    ['a 204', { status: 204 }, 'bad_answer'],
    ['a 202 even with an address', { status: 202, body: { address: '10.0.0.1:1' } }, 'bad_answer'],
    ['a 302 (not followed)', { status: 302, headers: { location: '/elsewhere' } }, 'rejected'],
    ['a 400', { status: 400, body: { error: 'bad room' } }, 'rejected'],
    ['a 401', { status: 401 }, 'rejected'],
    ['a 404', { status: 404 }, 'rejected'],
    ['a 409', { status: 409, body: { error: 'conflict' } }, 'rejected'],
    ['a 429', { status: 429 }, 'rejected'],
  ];
  for (const [what, answer, reason] of failsAtOnce) {
    it(`fails the room at once on ${what}, with one request`, async () => {
      fleet.answer(answer, { status: 200, body: { address: 'never-asked:1' } });
      const result = await backend().allocate(sampleRoom());
      expect(result).to.deep.include({ ok: false, reason, attempts: 1 });
      expect(fleet.seen).to.have.length(1);
    });
  }

  it('retries an answer slower than ALLOCATOR_TIMEOUT_MS', async () => {
    fleet.answer({ status: 200, body: { address: 'slow:1' }, delayMs: 5000 }, { status: 200, body: { address: 'quick:1' } });
    const retries: string[] = [];
    const result = await backend({ timeoutMs: 400 }).allocate(sampleRoom(), { onRetry: (retry) => retries.push(retry.reason) });
    // The slow answer would have come after 5 s: a second attempt answered by quick:1 means the first was cut.
    expect(result).to.deep.equal({ ok: true, server: { address: 'quick:1' }, attempts: 2 });
    expect(retries).to.deep.equal(['timeout']);
  });

  it('retries a refused connection until the fleet comes up', async () => {
    const port = await closedPort();
    const retries: string[] = [];
    const allocation = backend({ url: `http://127.0.0.1:${port}/allocate`, budgetMs: 5000 }).allocate(sampleRoom(), {
      onRetry: (retry) => retries.push(retry.reason),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const late = await FleetStub.start({ port });
    try {
      late.answer({ status: 200, body: { address: 'late:1' } });
      const result = await allocation;
      expect(result).to.deep.include({ ok: true, server: { address: 'late:1' } });
      expect(result.attempts).to.be.greaterThan(1);
      expect(retries[0]).to.equal('unreachable');
    } finally {
      await late.stop();
    }
  });

  it('gives up with budget_spent once ALLOCATOR_BUDGET_MS is spent on 5xx, not before and not long after', async () => {
    fleet.answer({ status: 500 });
    const result = await backend({ budgetMs: 800 }).allocate(sampleRoom());
    expect(result).to.deep.include({ ok: false, reason: 'budget_spent' });
    expect(result.attempts).to.be.greaterThan(3);
    // The last attempt may be cut by the budget before its request reaches the fleet.
    expect(fleet.seen.length).to.be.within(result.attempts - 1, result.attempts);
  });

  it('counts time-outs against the budget too: a fleet that never answers fails within the budget', async () => {
    fleet.answer({ status: 200, body: { address: 'never:1' }, delayMs: 5000 });
    const result = await backend({ timeoutMs: 300, budgetMs: 1000 }).allocate(sampleRoom());
    // Each attempt costs its 300 ms time-out: a 1000 ms budget has room for two to four, never the 5 s answer.
    expect(result).to.deep.include({ ok: false, reason: 'budget_spent' });
    expect(result.attempts).to.be.within(2, 5);
  });

  it('stops when the caller aborts, neither allocating nor failing the room', async () => {
    fleet.answer({ status: 503 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    let thrown: unknown;
    try {
      await backend({ budgetMs: 10_000 }).allocate(sampleRoom(), { signal: controller.signal });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(AllocationAborted);
  });
});
