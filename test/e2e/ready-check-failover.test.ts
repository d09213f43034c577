import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startPrivateRedisCluster, type PrivateRedis, type PrivateRedisCluster } from '../../chaos/private-nodes.js';
import { redisKeys } from '../../common/names.js';
import type { MatchConfig } from '../../core/types.js';
import type { PlayerClient } from '../support/player-client.js';
import { answerTo, proposedRoom } from '../support/ready-check.js';
import { startStack, type Stack } from '../support/stack.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cli = async (node: PrivateRedis, ...args: string[]) => (await run('redis-cli', ['-p', String(node.port), ...args], { timeout: 5000 })).stdout.trim();

/** A room of three solo players; `seconds` to accept it. */
const match = (seconds: number): MatchConfig => ({
  regions: ['eu'],
  modes: {
    rc3: { teams: 1, teamSize: 3, window: { initial: 1000, perSecond: 0, max: 1000 }, maxWaitSeconds: 120, accept: { seconds, cooldownSeconds: 0 } },
  },
});

const proposed = (stack: Stack) => proposedRoom(stack, 'rc3', 'eu', ['fa', 'fb', 'fc']);

/**
 * The moment between an accept's write and its replication, made exact: the replica of the
 * room's slot is stopped (SIGSTOP) and the primary drops its link to it, so the next write is held
 * by the primary alone, as when a primary dies before its asynchronous replication got the write
 * out. `resume()` lets the replica run again (it finds its primary gone).
 */
async function cutReplica(primary: PrivateRedis, replica: PrivateRedis) {
  process.kill(replica.pid()!, 'SIGSTOP');
  let stopped = true;
  const resume = () => {
    if (stopped) process.kill(replica.pid()!, 'SIGCONT');
    stopped = false;
  };
  try {
    expect(await cli(primary, 'client', 'kill', 'type', 'replica'), 'replica links cut').to.equal('1');
  } catch (error) {
    resume();
    throw error;
  }
  return resume;
}

/** The accepts the proposal holds, read from the node that serves its slot now. */
async function acceptsOn(node: PrivateRedis, key: string): Promise<string[]> {
  return (await cli(node, 'hget', key, 'accepted')).split(' ').filter(Boolean);
}

/**
 * A Redis primary killed (kill -9) between the last accept's write and its replication, on a
 * private Redis Cluster with replicas: the accept dies with the primary. With ACCEPT_WAIT_MS the
 * player is never told `ready` for it (its WAIT dies with the primary too), hears `unavailable`,
 * sends it again once the replica was promoted, and the room is decided once. Without it, the same
 * fault tells the player `ready` and then ends their ticket `accept_timeout`: the cluster chaos
 * run's unexplained timeouts, reproduced.
 */
describe('ready check: the room primary killed between an accept and its replication (private Redis Cluster)', function () {
  this.timeout(300_000);
  let cluster: PrivateRedisCluster;
  let stack: Stack | undefined;
  let resume: (() => void) | undefined;
  before(async () => {
    cluster = await startPrivateRedisCluster({ replicas: 1, nodeTimeoutMs: 2000 });
  });
  afterEach(async () => {
    resume?.();
    await stack?.stop();
    stack = undefined;
    // The killed node back (as a replica) for the next case.
    for (const node of cluster.nodes) if (node.pid() === undefined) await node.start();
    await cluster.healthy(60_000);
  });
  after(async () => {
    await cluster?.stop();
  });

  it('with ACCEPT_WAIT_MS: not told ready for the accept no replica holds, unavailable, sent again after the promotion, the room final once', async () => {
    stack = await startStack({ redisUrl: cluster.url, match: match(90), tickMs: 100, without: ['recorder'], env: { ACCEPT_WAIT_MS: '10000' } });
    const { clients, roomId } = await proposed(stack);
    const [first, second, last] = clients as [PlayerClient, PlayerClient, PlayerClient];
    for (const [index, client] of [first, second].entries()) {
      client.send({ type: 'accept', roomId, id: `a${index}` });
      expect(await answerTo(client, `a${index}`), 'an accept a replica holds').to.include({ type: 'ready', roomId, accepted: index + 1 });
    }
    const key = redisKeys(stack.namespace).proposal('rc3', 'eu', roomId);
    const { primary, replicas } = await cluster.holders(key);
    expect(replicas, 'the slot has a replica').to.have.length(1);
    resume = await cutReplica(primary, replicas[0]!);

    // The last accept: written on the primary alone, its WAIT blocked there; the primary dies under it.
    last.send({ type: 'accept', roomId, id: 'last' });
    const deadline = Date.now() + 10_000;
    while (!/^blocked_clients:[1-9]/m.test(await cli(primary, 'info', 'clients'))) {
      expect(Date.now(), 'the accept WAITs on the primary').to.be.below(deadline);
      await sleep(10);
    }
    await primary.kill(true);
    resume();
    const answer = await answerTo(last, 'last');
    expect(answer, 'no ready for an accept no replica holds').to.include({ type: 'error', code: 'unavailable', id: 'last' });

    await cluster.promoted(primary.port);
    const promoted = (await cluster.holders(key)).primary;
    const held = await acceptsOn(promoted, key);
    expect(held, 'the accept died with the primary; the two before it were replicated').to.have.length(2);

    // The killed node back as the new primary's replica, so a WAIT there can succeed; then the
    // player sends the accept again, as a client does after `unavailable`.
    await primary.start();
    await cluster.healthy(60_000);
    const sendAgain = (attempt: number) => {
      last.send({ type: 'accept', roomId, id: `again${attempt}` });
      return answerTo(last, `again${attempt}`);
    };
    let again = await sendAgain(0);
    // While the cluster settles (a moved slot, a replica still syncing) the answer may still be unavailable.
    for (let attempt = 1; again.type === 'error' && again.code === 'unavailable' && attempt <= 20; attempt++) {
      await sleep(500);
      again = await sendAgain(attempt);
    }
    expect(again, `the accept taken again, now held by a replica: ${JSON.stringify(again)}; ${last.types()}`).to.include({
      type: 'ready',
      roomId,
      accepted: 3,
      total: 3,
    });

    const matched = await Promise.all(clients.map((client) => client.next('matched', 30_000)));
    expect(matched.map((frame) => (frame.room as { id: string }).id)).to.deep.equal([roomId, roomId, roomId]);
    for (const client of clients) {
      const types = client.frames.map((frame) => frame.type);
      expect(types, `decided once, final, never dissolved: ${client.types()}`).to.not.include('requeued').and.not.include('left');
      expect(
        types.filter((type) => type === 'matched'),
        'matched once',
      ).to.have.length(1);
    }
    // The matcher steps the proposal to announced after sending the room on: players may hear it first.
    let phase = await cli(promoted, 'hget', key, 'phase');
    for (let tries = 0; phase === 'final' && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      phase = await cli(promoted, 'hget', key, 'phase');
    }
    expect(phase, 'the proposal, announced once').to.equal('announced');
  });

  it('without ACCEPT_WAIT_MS: the same fault tells the player ready, then ends their ticket accept_timeout though all three were told ready (why ACCEPT_WAIT_MS exists)', async () => {
    const seconds = 30;
    stack = await startStack({ redisUrl: cluster.url, match: match(seconds), tickMs: 100, without: ['recorder'] });
    const { clients, roomId } = await proposed(stack);
    const [first, lost, last] = clients as [PlayerClient, PlayerClient, PlayerClient];
    const key = redisKeys(stack.namespace).proposal('rc3', 'eu', roomId);
    const { primary, replicas } = await cluster.holders(key);
    first.send({ type: 'accept', roomId, id: 'first' });
    expect(await answerTo(first, 'first')).to.include({ type: 'ready', roomId, accepted: 1 });
    // The first accept replicated (asynchronously, as ever): the replica has it before the cut.
    expect(Number(await cli(primary, 'wait', '1', '5000')), 'a replica in step').to.equal(1);
    resume = await cutReplica(primary, replicas[0]!);
    // Not the last accept, so no final room is in play: only this accept is at stake.
    lost.send({ type: 'accept', roomId, id: 'lost' });
    expect(await answerTo(lost, 'lost'), 'told ready, from the primary alone').to.include({ type: 'ready', roomId, accepted: 2, total: 3 });
    await primary.kill(true);
    resume();
    await cluster.promoted(primary.port);
    expect(await acceptsOn((await cluster.holders(key)).primary, key), 'the accept told ready died with the primary').to.have.length(1);
    // The third player accepts on the promoted replica, in time, and is told ready too: 2 of 3, not 3.
    last.send({ type: 'accept', roomId, id: 'last0' });
    let answer = await answerTo(last, 'last0');
    for (let attempt = 1; answer.type === 'error' && answer.code === 'unavailable' && attempt <= 20; attempt++) {
      await sleep(500);
      last.send({ type: 'accept', roomId, id: `last${attempt}` });
      answer = await answerTo(last, `last${attempt}`);
    }
    expect(answer, 'the third accept, after the promotion').to.include({ type: 'ready', roomId, accepted: 2, total: 3 });

    const end = await lost.next('left', (seconds + 60) * 1000);
    expect(end, 'told ready, yet ended as silent').to.include({ reason: 'accept_timeout' });
    for (const client of [first, last]) expect(await client.next('requeued', 30_000)).to.include({ reason: 'accept_timeout' });
  });
});
