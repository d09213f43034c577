import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { ConsumeMessage } from 'amqplib';
import { freePort } from '../../common/free-port.js';
import { Launcher, serviceSpec } from '../../common/launcher.js';
import { amqpNames } from '../../common/names.js';
import { PlainBroker, eventually } from '../support/broker.js';
import { AMQP_URL, REDIS_URL, dropNamespace, newNamespace } from '../support/namespace.js';

const REGIONS = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
interface PoolView {
  pool: string;
  owner: string | null;
}

/**
 * Three matcher processes share six pools: each owns two; kill -9 one and its pools move
 * to the others after its lease, with every ticket matched exactly once.
 */
describe('matchers scaled out: pool ownership and failover (three processes)', function () {
  this.timeout(120_000);
  let namespace: string;
  let cluster: Launcher;
  let broker: PlainBroker;
  let rooms: ConsumeMessage[];
  const published: string[] = [];

  before(async () => {
    namespace = newNamespace();
    const matchFile = join(tmpdir(), `${namespace}-match.json`);
    writeFileSync(
      matchFile,
      JSON.stringify({ regions: REGIONS, modes: { ffa3: { teams: 1, teamSize: 3, window: { initial: 0, perSecond: 50 }, maxWaitSeconds: 120 } } }),
    );
    cluster = new Launcher({
      env: { ...process.env, MATCHQ_NAMESPACE: namespace, MATCH_CONFIG: matchFile, TICK_MS: '200', LOG_LEVEL: 'warn', AMQP_URL, REDIS_URL },
      logFile: join(tmpdir(), `${namespace}.log`),
    });
    for (const index of [0, 1, 2]) cluster.start(serviceSpec('matcher', `matcher-${index}`, await freePort()));
    await eventually('three ready matchers', () => cluster.allReady(), 30_000);
    broker = await PlainBroker.connect();
    rooms = await broker.tap(amqpNames(namespace).rooms);
  });
  after(async () => {
    await broker?.close();
    await cluster?.stopAll();
    await dropNamespace(
      namespace,
      REGIONS.map((region) => ({ mode: 'ffa3', region })),
    );
  });

  const view = async (member: string): Promise<PoolView[]> => {
    const port = cluster.specs.get(member)!.port;
    return (await fetch(`http://127.0.0.1:${port}/pools`)).json() as Promise<PoolView[]>;
  };
  const ownersOf = (pools: PoolView[]) =>
    new Map([...new Set(pools.map((pool) => pool.owner))].map((owner) => [owner, pools.filter((pool) => pool.owner === owner).length]));

  /** Three tickets per room, the same rating within a room so it forms at the first tick. */
  function publishWave(roomsPerPool: number): void {
    const names = amqpNames(namespace);
    for (const region of REGIONS) {
      for (let room = 0; room < roomsPerPool; room++) {
        for (let seat = 0; seat < 3; seat++) {
          const ticketId = randomUUID();
          published.push(ticketId);
          broker.publishJson(names.requests, `ffa3.${region}`, {
            v: 1,
            type: 'join',
            ticketId,
            playerId: randomUUID(),
            name: 'p',
            rating: 1000 + room * 500,
            mode: 'ffa3',
            region,
            joinedAt: Date.now(),
          });
        }
      }
    }
  }

  /**
   * The rooms published, once each by id. Delivery is at-least-once: a matcher killed between a
   * room's publish and its confirm leaves its successor to publish it again, with the same id and
   * the same event (consumers deduplicate on the id, docs/room-event.md), so a second copy is
   * allowed and must be the same room.
   */
  function distinctRooms(): Map<string, string> {
    const byId = new Map<string, string>();
    for (const message of rooms) {
      const id = String(message.properties.messageId);
      const content = message.content.toString();
      expect(byId.get(id) ?? content, `room ${id} published again as another room`).to.equal(content);
      byId.set(id, content);
    }
    return byId;
  }

  const everyRoomFormed = () => distinctRooms().size === published.length / 3;

  function checkRooms(): void {
    const seats = [...distinctRooms().values()].flatMap((content) =>
      (JSON.parse(content) as { players: { ticketId: string }[] }).players.map((player) => player.ticketId),
    );
    expect(seats.length, 'no ticket in two rooms').to.equal(new Set(seats).size);
    expect([...seats].sort()).to.deep.equal([...published].sort());
  }

  it('splits the pools evenly, two per matcher, and each answers /pools with the same view', async () => {
    const pools = await eventually(
      'every pool owned, two each',
      async () => {
        const current = await view('matcher-0');
        const owners = ownersOf(current);
        return owners.size === 3 && !owners.has(null) && [...owners.values()].every((count) => count === 2) && current;
      },
      15_000,
    );
    expect(pools.map((pool) => pool.pool)).to.deep.equal(REGIONS.map((region) => `ffa3.${region}`));
    expect((await view('matcher-2')).map((pool) => pool.owner)).to.deep.equal(pools.map((pool) => pool.owner));
    publishWave(4);
    await eventually('every room of the first wave', everyRoomFormed, 20_000);
    checkRooms();
  });

  it("moves a killed matcher's pools to the others after its lease, losing and doubling nothing", async () => {
    cluster.kill('matcher-1');
    publishWave(4);
    await eventually(
      'the pools owned by the two survivors, three each',
      async () => {
        const owners = ownersOf(await view('matcher-0'));
        return owners.size === 2 && !owners.has('matcher-1') && !owners.has(null) && [...owners.values()].every((count) => count === 3);
      },
      20_000,
    );
    await eventually('every room of the second wave', everyRoomFormed, 20_000);
    checkRooms();
  });

  it('hands pools over on a graceful stop, and back when a matcher returns', async () => {
    await cluster.stop('matcher-2');
    publishWave(2);
    await eventually('every pool owned by the last matcher', async () => [...ownersOf(await view('matcher-0')).keys()].join() === 'matcher-0', 15_000);
    cluster.restart('matcher-1');
    await eventually('the returning matcher owns half the pools', async () => ownersOf(await view('matcher-0')).get('matcher-1') === 3, 20_000);
    publishWave(2);
    await eventually('every room of the last waves', everyRoomFormed, 20_000);
    checkRooms();
  });
});
