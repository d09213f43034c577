import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startPrivateRedis, startPrivateRedisCluster, type PrivateRedis, type PrivateRedisCluster } from '../../chaos/private-nodes.js';
import type { MatchConfig } from '../../core/types.js';
import { answerTo, proposedRoom } from '../support/ready-check.js';
import { startStack, type Stack } from '../support/stack.js';

const run = promisify(execFile);

const MATCH: MatchConfig = {
  regions: ['eu'],
  modes: {
    rc3: { teams: 1, teamSize: 3, window: { initial: 1000, perSecond: 0, max: 1000 }, maxWaitSeconds: 120, accept: { seconds: 20, cooldownSeconds: 0 } },
  },
};

/** WAIT calls a Redis node has served, from its own INFO commandstats. */
async function waitCalls(port: number): Promise<number> {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'info', 'commandstats']);
  return Number(/^cmdstat_wait:calls=(\d+)/m.exec(stdout)?.[1] ?? 0);
}

const proposed = (stack: Stack) => proposedRoom(stack, 'rc3', 'eu', ['wa', 'wb', 'wc']);

/**
 * ACCEPT_WAIT_MS: an accept is answered `ready` only once a Redis replica holds it (WAIT 1), so
 * a primary that dies before replicating cannot take back a `ready` the player heard.
 */
describe('ready check: an accept is told ready only once a replica holds it (ACCEPT_WAIT_MS)', function () {
  this.timeout(180_000);

  describe('on a private Redis Cluster with replicas', () => {
    let cluster: PrivateRedisCluster;
    let stack: Stack;
    before(async () => {
      cluster = await startPrivateRedisCluster({ replicas: 1 });
      stack = await startStack({ redisUrl: cluster.url, match: MATCH, tickMs: 100, without: ['recorder'], env: { ACCEPT_WAIT_MS: '3000' } });
    });
    after(async () => {
      await stack?.stop();
      await cluster?.stop();
    });

    it('answers every accept ready after WAIT on the primary holding the room; the matcher WAITs there too before the room goes on final', async () => {
      const primaries = await cluster.primaries();
      const before = await Promise.all(primaries.map((node) => waitCalls(node.port)));
      const { clients, roomId } = await proposed(stack);
      for (const [index, client] of clients.entries()) {
        client.send({ type: 'accept', roomId, id: `a${index}` });
        // Its own answer, past the counts the accepts before it sent every player.
        expect(await answerTo(client, `a${index}`)).to.include({ type: 'ready', roomId, accepted: index + 1 });
      }
      const matched = await Promise.all(clients.map((client) => client.next('matched', 20_000)));
      expect(new Set(matched.map((frame) => (frame.room as { id: string }).id))).to.deep.equal(new Set([roomId]));
      const after = await Promise.all(primaries.map((node) => waitCalls(node.port)));
      // Every WAIT on one primary, the one whose slot holds the pool's keys: one per accept, and the
      // matcher's before it sent the final room on.
      expect(after.map((calls, index) => calls - before[index]!).sort()).to.deep.equal([0, 0, clients.length + 1]);
    });
  });

  describe('on a private Redis without a replica', () => {
    let redis: PrivateRedis;
    let stack: Stack;
    before(async () => {
      redis = await startPrivateRedis();
      stack = await startStack({ redisUrl: redis.url, match: MATCH, tickMs: 100, without: ['recorder'], env: { ACCEPT_WAIT_MS: '200' } });
    });
    after(async () => {
      await stack?.stop();
      await redis?.stop();
    });

    it('answers an accept no replica confirmed unavailable, not ready; sent again it is a second answer', async () => {
      const { clients, roomId } = await proposed(stack);
      const [first] = clients;
      first!.send({ type: 'accept', roomId, id: 'a' });
      expect(await first!.next('error')).to.include({ code: 'unavailable', id: 'a' });
      expect(first!.types()).to.not.include('ready');
      first!.send({ type: 'accept', roomId, id: 'again' });
      expect(await first!.next('error')).to.include({ code: 'not_pending', id: 'again' });
    });
  });
});
