import { expect } from 'chai';
import { startPrivateRedisCluster, type PrivateRedis, type PrivateRedisCluster } from '../../chaos/private-nodes.js';
import { redisKeys } from '../../common/names.js';
import type { MatchConfig } from '../../core/types.js';
import type { PlayerClient } from '../support/player-client.js';
import { answerTo } from '../support/ready-check.js';
import { startStack, type Stack } from '../support/stack.js';

const SECONDS = 20;

const match: MatchConfig = {
  regions: ['eu'],
  modes: {
    rc3: { teams: 1, teamSize: 3, window: { initial: 1000, perSecond: 0, max: 1000 }, maxWaitSeconds: 120, accept: { seconds: SECONDS, cooldownSeconds: 0 } },
  },
};

/**
 * The cluster chaos run's unexplained accept timeouts: a Redis primary died that served none of
 * the pool's keys, only the who-is-where key of one player of a proposed room. The room's news
 * (its dissolution, the next room's `found`) was routed all or nothing, so nobody of the room
 * heard it while that node was down; the next room passed its deadline unheard, and the player
 * told `ready` for the last `found` they had heard ended `accept_timeout`. Here the node stays
 * down (a node timeout longer than the test: no failover), and the news must still reach everyone.
 */
describe("ready check: the Redis node of a player's gateway entry down, the pool's up (private Redis Cluster)", function () {
  this.timeout(300_000);
  let cluster: PrivateRedisCluster;
  let stack: Stack | undefined;
  let victim: PrivateRedis | undefined;
  before(async () => {
    cluster = await startPrivateRedisCluster({ nodeTimeoutMs: 120_000 });
  });
  after(async () => {
    await stack?.stop();
    if (victim && victim.pid() === undefined) await victim.start();
    await cluster?.stop();
  });

  it("tells a player whose gateway entry's node is down the room's dissolution and the next room in time, which they then accept", async () => {
    stack = await startStack({ redisUrl: cluster.url, match, tickMs: 100, without: ['recorder'] });
    const keys = redisKeys(stack.namespace);
    const holderOf = async (key: string) => (await cluster.holders(key)).primary;
    const poolNode = await holderOf(keys.proposal('rc3', 'eu', 'any'));
    const matchersNode = await holderOf(keys.matchers);
    victim = cluster.nodes.find((node) => node !== poolNode && node !== matchersNode)!;
    // Players sorted by where their gateway entry lives: one on the node to kill, three elsewhere.
    // Player ids are random, so a dozen could all miss one node of three ((2/3)^12, about 1 in 130): add more until both sides fill.
    const candidates: Awaited<ReturnType<typeof stack.addPlayer>>[] = [];
    const onVictim: typeof candidates = [];
    const elsewhere: typeof candidates = [];
    for (let index = 0; index < 60 && (onVictim.length === 0 || elsewhere.length < 3); index++) {
      const player = await stack.addPlayer(`r${index}-${stack.namespace}`);
      candidates.push(player);
      ((await holderOf(keys.playerGateway(player.id))) === victim ? onVictim : elsewhere).push(player);
    }
    expect(onVictim.length, 'a player keyed on the node to kill').to.be.above(0);
    expect(elsewhere.length, 'three players keyed elsewhere').to.be.at.least(3);
    const [away, stays, late] = elsewhere as [(typeof candidates)[number], (typeof candidates)[number], (typeof candidates)[number]];
    const cut = onVictim[0]!;

    const join = async (player: (typeof candidates)[number]) => {
      const client = await stack!.connect(player.token);
      client.send({ type: 'join', mode: 'rc3', region: 'eu' });
      await client.next('queued');
      return client;
    };
    const [awayClient, staysClient, cutClient] = (await Promise.all([away, stays, cut].map(join))) as [PlayerClient, PlayerClient, PlayerClient];
    const first = await Promise.all([awayClient, staysClient, cutClient].map((client) => client.next('found', 30_000)));
    const roomId = first[0]!.roomId;
    expect(new Set(first.map((frame) => frame.roomId)).size, 'one room for the three').to.equal(1);
    cutClient.send({ type: 'accept', roomId, id: 'first' });
    expect(await answerTo(cutClient, 'first'), 'accepted').to.include({ type: 'ready', roomId, accepted: 1 });

    // The node of the accepting player's gateway entry dies; the pool's node serves on.
    await victim.kill(true);
    awayClient.send({ type: 'decline', roomId });
    expect(await awayClient.next('left', 30_000)).to.include({ reason: 'declined' });

    // The two others go back to the pool, and with a fourth player make the next room.
    for (const client of [staysClient, cutClient]) expect(await client.next('requeued', 30_000), client.types()).to.include({ reason: 'declined' });
    const lateClient = await join(late);
    const second = await Promise.all([staysClient, cutClient, lateClient].map((client) => client.next('found', (SECONDS / 2) * 1000)));
    const nextRoom = second[0]!.roomId;
    expect(
      second.map((frame) => frame.roomId),
      'the next room, told to all three',
    ).to.deep.equal([nextRoom, nextRoom, nextRoom]);
    expect(nextRoom).to.not.equal(roomId);
    cutClient.send({ type: 'accept', roomId: nextRoom, id: 'next' });
    expect(await answerTo(cutClient, 'next'), 'their accept of the next room taken').to.include({ type: 'ready', roomId: nextRoom, accepted: 1 });
    expect(cutClient.frames.map((frame) => frame.type)).to.not.include('left');
  });
});
