import { expect } from 'chai';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../common/config.js';
import { Launcher } from '../../common/launcher.js';
import { ALLOCATION_EVENT_TYPE, type AllocationRequest, type JoinRequest, type RoomEvent } from '../../common/messages.js';
import { amqpNames, redisKeys } from '../../common/names.js';
import { startAllocatorService } from '../../services/allocator/service.js';
import { eventually, PlainBroker } from '../support/broker.js';
import { FleetStub } from '../support/fleet-stub.js';
import { AMQP_URL, dropNamespace, newNamespace, REDIS_URL } from '../support/namespace.js';
import { sampleRoom } from '../support/rooms.js';
import { silent } from '../support/stack.js';

const POOL = { mode: 'ffa3', region: 'global' };

/**
 * The allocator service between the real broker, the real Redis and a real HTTP fleet stub:
 * final rooms in on the allocation queue, rooms with `server` out on the rooms exchange, or
 * their tickets' joins back to their pool; at most one allocation per room, also across a kill -9.
 */
describe('allocator service against the real broker, Redis and a fleet stub', function () {
  this.timeout(60_000);
  let namespace: string;
  let names: ReturnType<typeof amqpNames>;
  let keys: ReturnType<typeof redisKeys>;
  let config: Config;
  let fleet: FleetStub;
  let broker: PlainBroker;
  let redis: Redis;
  let rooms: Awaited<ReturnType<PlainBroker['tap']>>;
  let service: Awaited<ReturnType<typeof startAllocatorService>> | undefined;
  let processes: Launcher | undefined;
  const env = () => ({
    MATCHQ_NAMESPACE: namespace,
    AMQP_URL,
    REDIS_URL,
    ALLOCATOR: 'http',
    ALLOCATOR_URL: fleet.url,
    ALLOCATOR_TOKEN: 'fleet-token',
    JOIN_TOKEN_SECRET: 'allocator-service-test-secret',
    ALLOCATOR_TIMEOUT_MS: '1000',
    ALLOCATOR_BUDGET_MS: '1500',
    METRICS_PORT: '0',
    LOG_LEVEL: 'silent',
  });

  beforeEach(async () => {
    namespace = newNamespace();
    names = amqpNames(namespace);
    keys = redisKeys(namespace);
    fleet = await FleetStub.start();
    config = loadConfig(env());
    broker = await PlainBroker.connect();
    redis = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    await processes?.stopAll();
    processes = undefined;
    await service?.stop();
    service = undefined;
    await broker.close();
    redis.disconnect();
    await fleet.stop();
    await dropNamespace(namespace, [POOL]);
  });

  async function start() {
    service = await startAllocatorService(config, silent);
    rooms = await broker.tap(names.rooms);
    await broker.channel.assertQueue(names.pool(POOL.mode, POOL.region), {
      durable: true,
      arguments: { 'x-queue-type': 'classic', 'x-single-active-consumer': true },
    });
    await broker.channel.bindQueue(names.pool(POOL.mode, POOL.region), names.requests, `${POOL.mode}.${POOL.region}`);
  }

  /** A final room as the matcher hands it over: its tickets matched to it in Redis, their joins with it. */
  async function finalRoom(failuresBefore: number[] = []): Promise<AllocationRequest> {
    const room: RoomEvent = { ...sampleRoom(), ...POOL };
    const joins: JoinRequest[] = room.players.map((player, index) => ({
      v: 1,
      type: 'join',
      ticketId: player.ticketId,
      playerId: player.playerId,
      name: player.name,
      rating: player.rating,
      ...POOL,
      joinedAt: 1_700_000_000_000 + index,
    }));
    for (const [index, player] of room.players.entries()) {
      await redis.hset(keys.ticket(POOL.mode, POOL.region, player.ticketId), {
        state: 'matched',
        room: room.id,
        playerId: player.playerId,
        ...(failuresBefore[index] ? { allocationFailures: failuresBefore[index] } : {}),
      });
    }
    await redis.set(keys.room(POOL.mode, POOL.region, room.id), JSON.stringify(room));
    return { v: 1, room, joins };
  }

  const send = (request: AllocationRequest) => broker.publishJson('', names.allocation, request, { messageId: request.room.id, type: ALLOCATION_EVENT_TYPE });
  const stateOf = async (ticketId: string) => redis.hget(keys.ticket(POOL.mode, POOL.region, ticketId), 'state');

  it("publishes the room with the fleet's answer as `server`, once, and keeps it for late deliveries", async () => {
    await start();
    const server = { address: '198.51.100.4:7777', session: 's-1' };
    fleet.answer({ status: 201, body: server });
    const request = await finalRoom();
    send(request);
    await eventually('the allocated room', () => rooms.length === 1);
    const published = JSON.parse(rooms[0]!.content.toString()) as RoomEvent;
    expect(published).to.deep.equal({ ...request.room, server });
    expect(rooms[0]!.properties).to.include({ messageId: request.room.id, type: 'room.v1' });
    expect(fleet.seen).to.have.length(1);
    expect(fleet.seen[0]!.headers).to.include({ 'idempotency-key': request.room.id, authorization: 'Bearer fleet-token' });
    expect(JSON.parse((await redis.get(keys.room(POOL.mode, POOL.region, request.room.id))) ?? '{}')).to.deep.equal(published);
    await eventually('the allocation acked', async () => (await broker.ready(names.allocation)) === 0);
    // A copy of the room (a matcher's redelivery) repeats the announcement, with the same server, and asks the fleet nothing.
    send(request);
    await eventually('the repeated announcement', () => rooms.length === 2);
    expect(JSON.parse(rooms[1]!.content.toString())).to.deep.equal(published);
    expect(fleet.seen).to.have.length(1);
  });

  it('releases a room the fleet refuses: its joins go back to the pool as they were, its tickets queued, no room published', async () => {
    await start();
    fleet.answer({ status: 400, body: { error: 'no such mode' } });
    const request = await finalRoom();
    send(request);
    const pool = names.pool(POOL.mode, POOL.region);
    await eventually('the joins back in their pool', async () => (await broker.ready(pool)) === 3);
    const requeued = (await broker.drain(pool)).map((message) => JSON.parse(message.content.toString()) as JoinRequest);
    expect(requeued).to.have.deep.members(request.joins);
    for (const join of request.joins) expect(await stateOf(join.ticketId)).to.equal('queued');
    expect(rooms).to.have.length(0);
    expect(fleet.seen).to.have.length(1);
  });

  it('ends the ticket whose third room this was, and requeues the others; a 5xx fleet is retried until the budget', async () => {
    await start();
    fleet.answer({ status: 503 });
    const request = await finalRoom([2, 0, 1]);
    send(request);
    const pool = names.pool(POOL.mode, POOL.region);
    await eventually('two joins back in their pool', async () => (await broker.ready(pool)) === 2, 15_000);
    const requeued = (await broker.drain(pool)).map((message) => (JSON.parse(message.content.toString()) as JoinRequest).ticketId);
    expect(requeued).to.have.members([request.joins[1]!.ticketId, request.joins[2]!.ticketId]);
    expect(await stateOf(request.joins[0]!.ticketId)).to.equal('allocation_failed');
    expect(fleet.seen.length).to.be.greaterThan(1);
    const metrics = await (await fetch(`http://127.0.0.1:${service!.port}/metrics`)).text();
    expect(metrics).to.match(/matchq_allocation_failures_total\{reason="budget_spent"[^}]*\} 1/);
    expect(metrics).to.match(/matchq_allocation_retries_total\{reason="server_error"/);
  });

  it('allocates a room once across a kill -9 mid-request: the next allocator asks again with the same key, and one room goes out', async () => {
    // The first allocator's request hangs; it is killed while the fleet holds it.
    fleet.answer({ status: 200, body: { address: 'slow:1' }, delayMs: 30_000 }, { status: 200, body: { address: '203.0.113.9:7000' } });
    processes = new Launcher({ env: { ...process.env, ...env() } });
    processes.start({ name: 'allocator', script: 'services/allocator/main.ts' });
    await eventually(
      'the allocator process consuming',
      async () => {
        // A check of a queue not declared yet closes its channel: one channel per look.
        const channel = await broker.openChannel();
        channel.on('error', () => undefined);
        const queue = await channel.checkQueue(names.allocation).catch(() => null); // not declared yet: look again
        await channel.close().catch(() => undefined); // closed by the failed check
        return queue?.consumerCount === 1;
      },
      20_000,
    );
    rooms = await broker.tap(names.rooms);
    const request = await finalRoom();
    send(request);
    await eventually('the fleet holding the first request', () => fleet.seen.length === 1);
    processes.kill('allocator');
    service = await startAllocatorService(config, silent);
    await eventually('the room allocated by the next allocator', () => rooms.length === 1, 20_000);
    expect(JSON.parse(rooms[0]!.content.toString())).to.have.deep.property('server', { address: '203.0.113.9:7000' });
    expect(fleet.seen.map((seen) => seen.headers['idempotency-key'])).to.deep.equal([request.room.id, request.room.id]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(rooms).to.have.length(1);
    expect(await redis.hget(keys.allocation(POOL.mode, POOL.region, request.room.id), 'starts')).to.equal('2');
  });

  it('hands a room in flight to the next allocator at once on a graceful stop', async () => {
    fleet.answer({ status: 200, body: { address: 'slow:1' }, delayMs: 30_000 }, { status: 200, body: { address: '192.0.2.1:9' } });
    await start();
    const request = await finalRoom();
    send(request);
    await eventually('the fleet holding the request', () => fleet.seen.length === 1);
    await service!.stop();
    const stoppedAt = Date.now();
    service = await startAllocatorService(config, silent);
    await eventually('the room allocated by the next allocator', () => rooms.length === 1, 10_000);
    // Far sooner than the stopped holder's lease (about 5 s here).
    expect(Date.now() - stoppedAt).to.be.below(3000);
    expect(JSON.parse(rooms[0]!.content.toString())).to.have.deep.property('server', { address: '192.0.2.1:9' });
  });

  it('sends a message that is not an allocation request to the dead queue, and keeps serving', async () => {
    await start();
    broker.publishJson('', names.allocation, { v: 1, room: { id: 'nope' } }, { type: ALLOCATION_EVENT_TYPE });
    await eventually('the dead letter', async () => (await broker.ready(names.dead)) === 1);
    const [dead] = await broker.drain(names.dead);
    expect(dead!.properties.headers).to.have.property('x-matchq-reason').that.matches(/room/);
    fleet.answer({ status: 200, body: { address: 'ok:1' } });
    send(await finalRoom());
    await eventually('the next room allocated', () => rooms.length === 1);
  });

  it('refuses to start with ALLOCATOR=none, naming the variable', async () => {
    let thrown: Error | undefined;
    await startAllocatorService(loadConfig({ MATCHQ_NAMESPACE: namespace }), silent).catch((error: Error) => {
      thrown = error;
    });
    expect(thrown?.message).to.match(/ALLOCATOR/);
  });
});
